import CoffreCrypto
import CoffreProtocol
import CoffreServer
import Dispatch
import Foundation
import SQLiteStore
import Testing

/// A sync store over a fresh `ServerDatabase` (every migration) in its own temporary directory,
/// with users 1…5, a clock the test moves by hand (`ManualClock`, from AccountsHarness), and
/// helpers that build ids, tags, records and changes.
final class SyncFixture: Sendable {
    let directory: URL
    let store: SyncStore
    let clock = ManualClock(SyncFixture.start)

    static let start: Int64 = 1_700_000_000

    init(
        limits: SyncLimits = SyncLimits(), retention: RetentionPolicy = RetentionPolicy(), readers: Int = 2
    ) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-sync-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(ServerDatabase.fileName).path
        // Opened (and migrated, with fsyncs) on a Dispatch thread, as AccountsHarness does:
        // blocking Swift concurrency's shared threads would stall the tests running alongside.
        let database = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try ServerDatabase(path: path, readerCount: readers) })
            }
        }
        try await database.queue.write { db in
            for id in 1...5 {
                try db.execute("INSERT INTO users (id, name, created_at) VALUES (?, ?, 0)", [id, "user\(id)"])
            }
        }
        store = SyncStore(database: database, limits: limits, retention: retention, clock: clock.serverClock)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Moves the clock forward.
    func advance(days: Int64 = 0, seconds: Int64 = 0) {
        clock.advance(by: days * 86_400 + seconds)
    }

    /// A vault owned by `owner`.
    func vault(owner: Int64 = 1) async throws -> VaultID {
        let id = Self.randomVaultID()
        _ = try await store.createVault(
            user: owner,
            CreateVaultRequest(vaultId: id, name: Base64Bytes([1, 2, 3]), wrappedKey: Self.grant(owner, 1)))
        return id
    }

    /// Adds `user` to `vault` with `role` (as owner 1), granting the current generation.
    func add(_ user: Int64, to vault: VaultID, role: VaultRole) async throws {
        try await store.addMember(
            vault, user: 1,
            AddMemberRequest(
                userId: user, role: role, keys: [WrappedVaultKey(generation: 1, wrappedKey: Self.grant(user, 1))]))
    }

    /// Records blobs as stored in `vault`, each `size` bytes.
    func store(blobs: [BlobID], in vault: VaultID, size: Int64 = 100, user: Int64 = 1) async throws {
        try await store.recordBlobs(vault, user: user, blobs.map { StoredBlob(id: $0, size: size) })
    }

    /// Commits and expects it to land; returns the new seq.
    @discardableResult
    func commit(
        _ vault: VaultID, _ changes: [EntryChange], user: Int64 = 1, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Int64 {
        let outcome = try await store.commit(vault, user: user, CommitRequest(changes: changes))
        guard case .committed(let receipt) = outcome else {
            Issue.record("expected the commit to land, got \(outcome)", sourceLocation: sourceLocation)
            return -1
        }
        return receipt.seq
    }

    /// Commits and expects a rejection; returns its conflicts.
    func conflicts(
        _ vault: VaultID, _ changes: [EntryChange], user: Int64 = 1, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [CommitConflict] {
        let outcome = try await store.commit(vault, user: user, CommitRequest(changes: changes))
        guard case .rejected(let rejection) = outcome else {
            Issue.record("expected a rejection, got \(outcome)", sourceLocation: sourceLocation)
            return []
        }
        return rejection.conflicts
    }

    /// Runs `sql` and returns its first column as integers (to count rows behind the API).
    func integers(_ sql: String, _ arguments: StatementArguments = []) async throws -> [Int64] {
        let sendable = SendableArguments(arguments)
        return try await store.database.queue.read { db in try db.fetchValues(sql, sendable.values, as: Int64.self) }
    }

    /// One integer, e.g. a count.
    func integer(_ sql: String, _ arguments: StatementArguments = []) async throws -> Int64 {
        try await integers(sql, arguments).first ?? -1
    }

    // MARK: - Values

    static func randomVaultID() -> VaultID {
        VaultID(high: .random(in: 1...UInt64.max), low: .random(in: 0...UInt64.max))
    }
    static func randomEntryID() -> EntryID {
        EntryID(high: .random(in: 1...UInt64.max), low: .random(in: 0...UInt64.max))
    }

    /// A deterministic name tag for `name` (the real one is an HMAC the server cannot compute).
    static func tag(_ name: String) -> NameTag {
        NameTag(bytes: (try? SHA256.hash(Array(name.utf8))) ?? [])!
    }

    /// A blob id derived from `label`.
    static func blob(_ label: String) -> BlobID {
        BlobID(bytes: (try? SHA256.hash(Array("blob:\(label)".utf8))) ?? [])!
    }

    /// A stand-in encrypted record.
    static func record(_ marker: UInt8, size: Int = 64) -> Base64Bytes {
        Base64Bytes([UInt8](repeating: marker, count: size))
    }

    /// A stand-in grant of `generation` for `user`.
    static func grant(_ user: Int64, _ generation: Int64) -> Base64Bytes {
        Base64Bytes(
            [UInt8(truncatingIfNeeded: user), UInt8(truncatingIfNeeded: generation)] + [UInt8](repeating: 7, count: 227)
        )
    }

    /// A change creating or updating a folder.
    static func folder(
        _ id: EntryID, in parent: EntryID = .root, named name: String, base: Int64 = 0, deleted: Bool = false
    ) -> EntryChange {
        EntryChange(
            entryId: id, baseRev: base, parentId: parent, kind: .folder, nameTag: tag(name), deleted: deleted,
            record: record(2))
    }

    /// A change creating or updating a file.
    static func file(
        _ id: EntryID, in parent: EntryID = .root, named name: String, base: Int64 = 0, deleted: Bool = false,
        blobs: [BlobID] = [], marker: UInt8 = 1
    ) -> EntryChange {
        EntryChange(
            entryId: id, baseRev: base, parentId: parent, kind: .file, nameTag: tag(name), deleted: deleted,
            record: record(marker), blobs: blobs)
    }
}

/// Statement arguments carried into a `@Sendable` read closure. Test-only: the values are
/// integers, strings and byte arrays, all value types, never mutated after construction.
struct SendableArguments: @unchecked Sendable {
    let values: StatementArguments
    init(_ values: StatementArguments) { self.values = values }
}
