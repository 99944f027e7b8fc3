import CoffreProtocol
import Synchronization

/// Remembers which users may read which vaults, so a blob GET — the most frequent request —
/// normally costs a dictionary lookup instead of a database read.
///
/// Only confirmed memberships are kept; a refusal is always read again. Every change that can
/// take access away (a member removed, a role changed, a vault or user deleted) calls
/// `invalidate…` after its transaction commits and before it answers. A lookup that read the
/// database before such a change cannot store its stale answer afterwards: each invalidation
/// bumps a generation, and a lookup stores its result only if the generation it started with
/// is still current (the scheme `TokenAuthenticator` uses for tokens).
final class VaultReaderCache: Sendable {
    private struct Key: Hashable {
        let user: Int64
        let vault: VaultID
    }

    private struct State: ~Copyable {
        var members: Set<Key> = []
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    private let store: SyncStore
    private let capacity: Int

    init(store: SyncStore, capacity: Int = 10_000) {
        self.store = store
        self.capacity = max(1, capacity)
    }

    /// Returns when `user` is a member of `vault` (any role); throws `vaultNotFound` otherwise.
    func checkMember(_ user: Int64, of vault: VaultID) async throws(SyncError) {
        let key = Key(user: user, vault: vault)
        let (known, generation) = state.withLock { ($0.members.contains(key), $0.generation) }
        if known { return }
        try await store.checkAccess(vault, user: user, requiring: .read)
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.members.count >= capacity, let any = state.members.first { state.members.remove(any) }
            state.members.insert(key)
        }
    }

    /// True when `user` is known to be a member of `vault`, without waiting: false means
    /// "not known", and the caller then asks `checkMember`.
    func isKnownMember(_ user: Int64, of vault: VaultID) -> Bool {
        let key = Key(user: user, vault: vault)
        return state.withLock { $0.members.contains(key) }
    }

    /// Forgets every member of `vault`.
    func invalidate(vault: VaultID) {
        invalidate { $0.vault == vault }
    }

    /// Forgets every vault of `user`.
    func invalidate(user: Int64) {
        invalidate { $0.user == user }
    }

    private func invalidate(where shouldDrop: (Key) -> Bool) {
        state.withLock { state in
            state.generation &+= 1
            state.members = state.members.filter { !shouldDrop($0) }
        }
    }
}
