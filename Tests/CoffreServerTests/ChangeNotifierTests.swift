@testable import CoffreServer
import CoffreProtocol
import Testing

/// `ChangeNotifier` between a wait's reservation and its registration: a vault deleted in that
/// gap wakes the wait at once (it used to register afterwards and sleep until its timeout, a
/// CI run's `deletingTheVaultWakesItsWaiters` waiting 300 s for an empty page); another vault's
/// deletion or commit does not.
@Suite struct ChangeNotifierTests {
    typealias F = SyncFixture

    @Test(.timeLimit(.minutes(3))) func aVaultDeletedBeforeTheWaitRegistersWakesIt() async throws {
        let notifier = ChangeNotifier(maxWaiters: 4)
        let vault = F.randomVaultID()
        let wake = try await notifier.wait(vault: vault, after: 0, timeout: .seconds(3_600)) {
            notifier.vaultDeleted(vault)
        }
        #expect(wake == .changed)
        #expect(notifier.waiterCount == 0)
    }

    @Test func anotherVaultDeletedOrCommittedInTheGapLeavesTheWaitWaiting() async throws {
        let notifier = ChangeNotifier(maxWaiters: 4)
        let vault = F.randomVaultID()
        let other = F.randomVaultID()
        let wake = try await notifier.wait(vault: vault, after: 0, timeout: .milliseconds(50)) {
            notifier.vaultDeleted(other)
            notifier.committed(vault: other, seq: 7)
        }
        #expect(wake == .timedOut)
        #expect(notifier.waiterCount == 0)
    }

    @Test(.timeLimit(.minutes(3))) func aCommitInTheGapWakesTheWait() async throws {
        let notifier = ChangeNotifier(maxWaiters: 4)
        let vault = F.randomVaultID()
        let wake = try await notifier.wait(vault: vault, after: 3, timeout: .seconds(3_600)) {
            notifier.committed(vault: vault, seq: 4)
        }
        #expect(wake == .changed)
    }
}
