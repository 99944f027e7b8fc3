import CoffreClient
import CoffreProtocol
import Foundation
import HTTPServer
import Synchronization
import Testing

/// Two devices committing to the same entries at the same moment against the real coffred:
/// each round exactly one wins every compare-and-swap and the other gets 409 with the
/// conflicts; a third device following the feed with long-polls sees one consistent order.
@Suite("concurrent commits (real binary)")
struct SyncConcurrencyTests {
    /// What the observer saw: each entry state the feed delivered, in order.
    final class Observed: Sendable {
        private let states = Mutex<[(entry: EntryID, rev: Int64, record: Base64Bytes)]>([])
        func add(_ page: ChangesPage) { states.withLock { $0 += page.entries.map { ($0.entryId, $0.rev, $0.record) } } }
        var all: [(entry: EntryID, rev: Int64, record: Base64Bytes)] { states.withLock { $0 } }
    }

    @Test func exactlyOneWinsEachRoundAndTheFeedAgrees() async throws {
        let server = try CoffredProcess()
        let url = try server.waitUntilListening()
        let http = try SyncSession.httpClient()
        defer { http.shutdown() }
        let session = try SyncSession(url: url, dataDirectory: server.dataDirectory, http: http)
        let alice = try await session.user("alice")
        let bob = try await session.user("bob")
        let owner = session.client(alice.token)
        let vault = try await owner.createVault(SyncSession.vault()).vaultId
        try await owner.addMember(
            vault, AddMemberRequest(userId: bob.id, role: .write, keys: [WrappedVaultKey(generation: 1, wrappedKey: Base64Bytes([1]))]))
        let devices = [owner, session.client(bob.token)]
        let files = (0..<3).map { _ in SyncSession.newFile(blobs: []) }
        guard case .committed(let created) = try await owner.commit(vault, CommitRequest(changes: files)) else {
            Issue.record("creating the files must land")
            return
        }

        // The observer follows the feed from the start with long-polls until the last round.
        let rounds = 15
        let observed = Observed()
        let observer = Task {
            let client = session.client(try await session.login("alice", authKey: alice.authKey))
            var cursor: Int64 = 0
            while cursor < created.seq + Int64(rounds) {
                let page = try await client.changes(vault, since: cursor, waitSeconds: 20)
                observed.add(page)
                cursor = page.cursor
            }
            return cursor
        }

        var revs = Dictionary(uniqueKeysWithValues: files.map { ($0.entryId, created.seq) })
        var winners: [(seq: Int64, record: Base64Bytes)] = []
        for round in 0..<rounds {
            let attempts = devices.indices.map { device in
                CommitRequest(changes: files.map { file in
                    var change = file
                    change.baseRev = revs[file.entryId] ?? 0
                    change.record = Base64Bytes([UInt8(round), UInt8(device)] + SyncSession.random(30))
                    return change
                })
            }
            let outcomes = try await withThrowingTaskGroup(of: (Int, SyncAPIClient.CommitResult).self) { group in
                for (index, device) in devices.enumerated() {
                    group.addTask { (index, try await device.commit(vault, attempts[index])) }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            var won: [(Int, CommitReceipt)] = []
            var lost: [CommitRejection] = []
            for (index, outcome) in outcomes {
                switch outcome {
                case .committed(let receipt): won.append((index, receipt))
                case .rejected(let rejection): lost.append(rejection)
                }
            }
            try #require(won.count == 1 && lost.count == 1, "round \(round): \(outcomes)")
            let (winner, receipt) = won[0]
            #expect(receipt.seq == created.seq + Int64(round) + 1)
            #expect(lost[0].conflicts.count == files.count && lost[0].conflicts.allSatisfy { $0.reason == .staleRev })
            // The writer serialises the two: the loser ran second and saw the winner's state.
            #expect(lost[0].seq == receipt.seq && lost[0].conflicts.allSatisfy { $0.current?.rev == receipt.seq })
            for file in files { revs[file.entryId] = receipt.seq }
            winners.append((receipt.seq, attempts[winner].changes[0].record))
        }

        let finalCursor = try await observer.value
        #expect(finalCursor == created.seq + Int64(rounds))
        // The observer saw revs only go up, and every state it saw is a winner's.
        let seen = observed.all
        let winningRecords = Dictionary(uniqueKeysWithValues: winners.map { ($0.seq, $0.record) })
        var last: [EntryID: Int64] = [:]
        for state in seen where state.rev > created.seq {
            #expect(state.rev > (last[state.entry] ?? 0), "revs of one entry only grow")
            last[state.entry] = state.rev
            if state.entry == files[0].entryId { #expect(winningRecords[state.rev] == state.record) }
        }
        let final = try await owner.changes(vault, since: 0)
        #expect(final.entries.allSatisfy { $0.rev == created.seq + Int64(rounds) })
        #expect(await server.stop() == 0)
    }
}
