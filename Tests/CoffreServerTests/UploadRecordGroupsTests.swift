@testable import CoffreServer
import CoffreProtocol
import Dispatch
import SQLiteStore
import Testing

/// Group commit of upload rows (`UploadRecordGroups`): requests waiting while the writer is busy
/// share one transaction, each answered only after it commits; a request that fails its vault
/// check fails alone; a failed transaction fails every request it held and keeps none of them.
@Suite struct UploadRecordGroupsTests {
    @Test func requestsWaitingForTheWriterShareOneTransaction() async throws {
        let fixture = try await SyncFixture()
        let vault = try await fixture.vault()
        let groups = UploadRecordGroups(store: fixture.store)
        let blobs = (0..<8).map { SyncFixture.blob("grouped-\($0)") }

        let results = try await Self.whileWriterIsHeld(fixture, groups: groups, waitingFor: blobs.count) {
            try await withThrowingTaskGroup(of: (BlobID, Set<BlobID>).self) { tasks in
                for (index, id) in blobs.enumerated() {
                    tasks.addTask {
                        (id, try await groups.record(vault, user: 1, [StoredBlob(id: id, size: Int64(100 + index))], reservedBytes: 0))
                    }
                }
                return try await tasks.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
        }
        for id in blobs { #expect(results[id] == [id], "each request learns that its own blob was new") }
        #expect(groups.statistics.groups == 1 && groups.statistics.requests == 8)
        #expect(try await fixture.integer("SELECT count(*) FROM blobs") == 8)
        #expect(try await fixture.integer("SELECT used_bytes FROM users WHERE id = 1") == (0..<8).reduce(0) { $0 + 100 + $1 })

        // A lone request after the group runs in a transaction of its own. Its 100 bytes were
        // reserved (as `QuotaService.reserve` does) and are given back: the vault holds the blob.
        try await fixture.store.database.queue.write { db in
            try db.execute("UPDATE users SET used_bytes = used_bytes + 100 WHERE id = 1", [])
        }
        let again = try await groups.record(vault, user: 1, [StoredBlob(id: blobs[0], size: 100)], reservedBytes: 100)
        #expect(again.isEmpty, "a blob the vault holds is not new")
        #expect(groups.statistics.groups == 2)
        #expect(
            try await fixture.integer("SELECT used_bytes FROM users WHERE id = 1") == (0..<8).reduce(0) { $0 + 100 + $1 },
            "the reservation of a blob already held is given back")
    }

    @Test func aRequestFailingItsVaultCheckFailsAlone() async throws {
        let fixture = try await SyncFixture()
        let vault = try await fixture.vault()
        try await fixture.add(2, to: vault, role: .read)
        let groups = UploadRecordGroups(store: fixture.store)
        let good = (0..<3).map { SyncFixture.blob("good-\($0)") }
        let byReader = SyncFixture.blob("by-reader")
        let byStranger = SyncFixture.blob("by-stranger")

        let outcomes = try await Self.whileWriterIsHeld(fixture, groups: groups, waitingFor: 5) {
            await withTaskGroup(of: (BlobID, Result<Set<BlobID>, SyncError>).self) { tasks in
                let requests: [(BlobID, Int64)] = good.map { ($0, 1) } + [(byReader, 2), (byStranger, 3)]
                for (id, user) in requests {
                    tasks.addTask {
                        do throws(SyncError) {
                            return (id, .success(try await groups.record(vault, user: user, [StoredBlob(id: id, size: 10)], reservedBytes: 10)))
                        } catch {
                            return (id, .failure(error))
                        }
                    }
                }
                return await tasks.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
        }
        for id in good { #expect((try? outcomes[id]?.get()) == [id]) }
        #expect(Self.error(outcomes[byReader]) == .forbidden(required: .write))
        #expect(Self.error(outcomes[byStranger]) == .vaultNotFound)
        #expect(groups.statistics.groups == 1 && groups.statistics.requests == 5)
        #expect(try await fixture.integer("SELECT count(*) FROM blobs") == 3, "only the good requests' rows")
        #expect(try await fixture.integer("SELECT used_bytes FROM users WHERE id = 2") == 0)
    }

    @Test func aFailedTransactionFailsEveryRequestAndKeepsNone() async throws {
        let fixture = try await SyncFixture()
        let vault = try await fixture.vault()
        let groups = UploadRecordGroups(store: fixture.store)
        // A SQLite error inside one request (not a vault check): the writer refuses a blob of 666 bytes.
        try await fixture.store.database.queue.write { db in
            try db.execute(
                "CREATE TEMP TRIGGER refuse_666 BEFORE INSERT ON blobs WHEN NEW.size = 666 BEGIN SELECT RAISE(ABORT, 'refused'); END",
                [])
        }
        let sizes: [Int64] = [10, 666, 20, 30]
        let blobs = sizes.indices.map { SyncFixture.blob("failing-\($0)") }

        let failures = try await Self.whileWriterIsHeld(fixture, groups: groups, waitingFor: sizes.count) {
            await withTaskGroup(of: Bool.self) { tasks in
                for (id, size) in zip(blobs, sizes) {
                    tasks.addTask {
                        do throws(SyncError) {
                            _ = try await groups.record(vault, user: 1, [StoredBlob(id: id, size: size)], reservedBytes: 0)
                            return false
                        } catch {
                            guard case .database = error else { return false }
                            return true
                        }
                    }
                }
                return await tasks.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
        }
        #expect(failures == sizes.count, "nobody is told a row is stored that the transaction did not keep")
        #expect(try await fixture.integer("SELECT count(*) FROM blobs") == 0)
        #expect(try await fixture.integer("SELECT used_bytes FROM users WHERE id = 1") == 0)

        // The groups go on: the next request gets a transaction of its own.
        #expect(try await groups.record(vault, user: 1, [StoredBlob(id: blobs[0], size: 10)], reservedBytes: 0) == [blobs[0]])
        #expect(try await fixture.integer("SELECT count(*) FROM blobs") == 1)
    }

    @Test func badRequestsAreRefusedBeforeTheyWait() async throws {
        let fixture = try await SyncFixture()
        let vault = try await fixture.vault()
        let groups = UploadRecordGroups(store: fixture.store)
        await #expect(throws: SyncError.self) {
            try await groups.record(vault, user: 1, [StoredBlob(id: SyncFixture.blob("negative"), size: -1)], reservedBytes: 0)
        }
        await #expect(throws: SyncError.self) {
            try await groups.record(vault, user: 1, [], reservedBytes: -5)
        }
        #expect(groups.statistics.groups == 0)
    }

    // MARK: - Helpers

    /// Runs `body` while a write transaction holds the writer, and lets the writer go once
    /// `count` requests wait in `groups`, so they must share the next transaction.
    static func whileWriterIsHeld<Result: Sendable>(
        _ fixture: SyncFixture, groups: UploadRecordGroups, waitingFor count: Int,
        _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let release = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        let holder = Task {
            try await fixture.store.database.queue.write { _ in
                holding.signal()
                release.wait()
            }
        }
        while holding.wait(timeout: .now()) == .timedOut { try await Task.sleep(for: .milliseconds(2)) }
        let work = Task { try await body() }
        while groups.waitingCount < count { try await Task.sleep(for: .milliseconds(2)) }
        release.signal()
        try await holder.value
        return try await work.value
    }

    static func error(_ outcome: Result<Set<BlobID>, SyncError>?) -> SyncError? {
        guard case .failure(let error) = outcome else { return nil }
        return error
    }
}
