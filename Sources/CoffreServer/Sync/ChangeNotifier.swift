import CoffreProtocol
import Synchronization

/// Wakes long-poll waiters when a commit lands in their vault.
///
/// A waiter costs no thread: it is a suspended continuation in a per-vault table, resumed by
/// `committed(vault:seq:)`, while a sleeping sibling task (the Swift runtime's timer, not a
/// thread) provides the timeout. Whichever finishes first cancels the other. The number of
/// waiters is bounded. The last `seq` announced per vault is remembered, so a waiter that
/// registers just after a commit it has not seen returns at once instead of missing it.
final class ChangeNotifier: Sendable {
    /// How a wait ended.
    enum Wake: Sendable, Equatable {
        /// A commit after the waiter's seq landed (or the vault was deleted): read again.
        case changed
        /// The time passed without a commit.
        case timedOut
        /// The waiting task was cancelled.
        case cancelled
    }

    private struct Waiter {
        let after: Int64
        let continuation: CheckedContinuation<Wake, Never>
    }

    private enum Reservation {
        case reserved(VaultID)
        case cancelledBeforeRegistering
        /// The vault was deleted between the reservation and the registration: the waiter
        /// must read again at once (deletion forgets `latestSeq`, so it cannot tell).
        case vaultDeletedBeforeRegistering
    }

    private struct State {
        var latestSeq: [VaultID: Int64] = [:]
        var waiters: [VaultID: [UInt64: Waiter]] = [:]
        var registeredCount = 0
        /// Waits that are counted but not registered yet.
        var reservations: [UInt64: Reservation] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())
    /// Most waiters at once, all vaults together.
    let maxWaiters: Int

    init(maxWaiters: Int) {
        self.maxWaiters = maxWaiters
    }

    /// Number of waiters registered or about to be.
    var waiterCount: Int {
        state.withLock { $0.registeredCount + $0.reservations.count }
    }

    /// Waits until a commit with a seq above `seq` lands in `vault`, `timeout` passes or the
    /// task is cancelled. Throws `tooManyWaiters` when `maxWaiters` are already waiting.
    /// `beforeRegistering` runs between the reservation and the registration (tests only).
    func wait(
        vault: VaultID, after seq: Int64, timeout: Duration, beforeRegistering: (@Sendable () -> Void)? = nil
    ) async throws(SyncError) -> Wake {
        let id = try reserve(vault)
        beforeRegistering?()
        let wake = await withTaskGroup(of: Wake.self) { group in
            group.addTask { await self.waitForCommit(vault: vault, after: seq, id: id) }
            group.addTask {
                // A cancelled sleep returns early; the caller then sees the cancellation below.
                try? await Task.sleep(for: timeout)
                return .timedOut
            }
            let first = await group.next() ?? .cancelled
            group.cancelAll()
            return first
        }
        return Task.isCancelled ? .cancelled : wake
    }

    /// Announces that `vault` reached `seq`: every waiter of the vault waiting for less wakes.
    func committed(vault: VaultID, seq: Int64) {
        let woken: [Waiter] = state.withLock { state in
            state.latestSeq[vault] = max(state.latestSeq[vault] ?? 0, seq)
            guard var waiting = state.waiters[vault] else { return [] }
            let due = waiting.filter { $0.value.after < seq }
            for id in due.keys { waiting.removeValue(forKey: id) }
            state.waiters[vault] = waiting.isEmpty ? nil : waiting
            state.registeredCount -= due.count
            return Array(due.values)
        }
        // Resumed outside the lock: a continuation may run code that calls back in.
        for waiter in woken { waiter.continuation.resume(returning: .changed) }
    }

    /// Wakes every waiter of a deleted vault (they read again and find no vault) and forgets it.
    func vaultDeleted(_ vault: VaultID) {
        let woken: [Waiter] = state.withLock { state in
            state.latestSeq[vault] = nil
            // A wait reserved but not registered yet would otherwise register after this and
            // sleep until its timeout on a vault that is gone.
            for (id, reservation) in state.reservations {
                if case .reserved(let reserved) = reservation, reserved == vault {
                    state.reservations[id] = .vaultDeletedBeforeRegistering
                }
            }
            let waiting = state.waiters.removeValue(forKey: vault) ?? [:]
            state.registeredCount -= waiting.count
            return Array(waiting.values)
        }
        for waiter in woken { waiter.continuation.resume(returning: .changed) }
    }

    private func reserve(_ vault: VaultID) throws(SyncError) -> UInt64 {
        let id: UInt64? = state.withLock { state in
            guard state.registeredCount + state.reservations.count < maxWaiters else { return nil }
            state.nextID += 1
            state.reservations[state.nextID] = .reserved(vault)
            return state.nextID
        }
        guard let id else { throw .tooManyWaiters }
        return id
    }

    /// Suspends until `committed` or cancellation resumes the continuation; exactly one of them
    /// does, because each first removes the waiter from the table under the lock.
    private func waitForCommit(vault: VaultID, after seq: Int64, id: UInt64) async -> Wake {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
                let immediate: Wake? = state.withLock { state in
                    let reservation = state.reservations.removeValue(forKey: id)
                    if case .cancelledBeforeRegistering = reservation { return .cancelled }
                    if case .vaultDeletedBeforeRegistering = reservation { return .changed }
                    if let latest = state.latestSeq[vault], latest > seq { return .changed }
                    state.waiters[vault, default: [:]][id] = Waiter(after: seq, continuation: continuation)
                    state.registeredCount += 1
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { state in
                if let waiter = state.waiters[vault]?.removeValue(forKey: id) {
                    if state.waiters[vault]?.isEmpty == true { state.waiters[vault] = nil }
                    state.registeredCount -= 1
                    return waiter
                }
                // Cancelled before the continuation was registered: registering will see this.
                if state.reservations[id] != nil { state.reservations[id] = .cancelledBeforeRegistering }
                return nil
            }
            waiter?.continuation.resume(returning: .cancelled)
        }
    }
}
