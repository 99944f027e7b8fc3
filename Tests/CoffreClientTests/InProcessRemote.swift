@testable import CoffreClient
import CoffreCrypto
import CoffreProtocol
import CoffreServer
import Synchronization

/// The blobs the test server holds, by id, with counters of what crossed the "wire".
final class BlobShelf: Sendable {
    struct Counters: Sendable, Equatable {
        /// Blobs received by `putBlob`/`putBlobs` (each blob once per upload).
        var blobsPut = 0
        var bytesPut = 0
        var blobsFetched = 0
        var bytesFetched = 0
        var missingQuestions = 0
    }

    private let blobs = Mutex<[BlobID: [UInt8]]>([:])
    private let counts = Mutex(Counters())

    var counters: Counters { counts.withLock { $0 } }

    func resetCounters() { counts.withLock { $0 = Counters() } }

    func count(_ change: (inout Counters) -> Void) { counts.withLock { change(&$0) } }

    func store(_ id: BlobID, _ bytes: [UInt8]) { blobs.withLock { $0[id] = bytes } }

    func blob(_ id: BlobID) -> [UInt8]? { blobs.withLock { $0[id] } }

    /// The ids of every blob held.
    var storedIDs: [BlobID] { blobs.withLock { Array($0.keys) } }

    /// Drops a stored blob (a server that lost it).
    func remove(_ id: BlobID) { _ = blobs.withLock { $0.removeValue(forKey: id) } }

    /// Replaces a stored blob's bytes (a server that tampers).
    func tamper(_ id: BlobID, with bytes: [UInt8]) { blobs.withLock { $0[id] = bytes } }

    /// Every byte the shelf holds, concatenated (to look for plaintext markers).
    var allBytes: [UInt8] { blobs.withLock { $0.values.flatMap { $0 } } }
}

/// The server side of the sync protocol in-process: the real `SyncStore` (commit rules, feed,
/// history) and a `BlobShelf` standing in for the blob store, which checks ids like the
/// server does (SHA-256 of the bytes) and records blobs in the store after keeping them.
final class InProcessRemote: SyncRemote {
    let vaultID: VaultID
    let store: SyncStore
    let shelf: BlobShelf
    let user: Int64
    /// Lets a test make the server lie about the vault's seq or a feed page.
    let tamperState = Mutex<(@Sendable (VaultSummary) -> VaultSummary)?>(nil)
    let tamperPage = Mutex<(@Sendable (ChangesPage) -> ChangesPage)?>(nil)
    /// Runs (once) when the next commit arrives, before the server handles it: another
    /// device's commit can land in between.
    let beforeNextCommit = Mutex<(@Sendable () async throws -> Void)?>(nil)

    struct BlobRefused: Error, CustomStringConvertible {
        let description: String
    }

    init(vaultID: VaultID, store: SyncStore, shelf: BlobShelf, user: Int64) {
        self.vaultID = vaultID
        self.store = store
        self.shelf = shelf
        self.user = user
    }

    func vaultState() async throws -> VaultSummary {
        guard let summary = try await store.vaults(user: user).vaults.first(where: { $0.vaultId == vaultID }) else {
            throw SyncError.vaultNotFound
        }
        return tamperState.withLock { $0 }?(summary) ?? summary
    }

    func vaultKeys() async throws -> [WrappedVaultKey] {
        try await store.vaultKeys(vaultID, user: user)
    }

    func missingBlobs(_ ids: [BlobID]) async throws -> [BlobID] {
        shelf.count { $0.missingQuestions += 1 }
        return try await store.missingBlobs(vaultID, user: user, MissingBlobsRequest(ids: ids)).missing
    }

    func putBlob(_ id: BlobID, bytes: [UInt8]) async throws {
        try await putBlobs([BlobPayload(id: id, bytes: bytes)])
    }

    func putBlobs(_ blobs: [BlobPayload]) async throws {
        for blob in blobs {
            guard BlobID(bytes: try SHA256.hash(blob.bytes)) == blob.id else { throw BlobRefused(description: "blob id mismatch") }
            shelf.store(blob.id, blob.bytes)
        }
        shelf.count { counters in
            counters.blobsPut += blobs.count
            counters.bytesPut += blobs.reduce(0) { $0 + $1.bytes.count }
        }
        try await store.recordBlobs(vaultID, user: user, blobs.map { StoredBlob(id: $0.id, size: Int64($0.bytes.count)) })
    }

    func getBlob(_ id: BlobID, into buffer: inout BlobFetchBuffer) async throws {
        guard try await store.missingBlobs(vaultID, user: user, MissingBlobsRequest(ids: [id])).missing.isEmpty,
            let bytes = shelf.blob(id)
        else { throw BlobRefused(description: "no such blob") }
        try buffer.append(bytes)
        shelf.count { counters in
            counters.blobsFetched += 1
            counters.bytesFetched += bytes.count
        }
    }

    func commit(_ request: CommitRequest) async throws -> RemoteCommitOutcome {
        if let interloper = beforeNextCommit.withLock({ $0.take() }) { try await interloper() }
        switch try await store.commit(vaultID, user: user, request) {
        case .committed(let receipt): return .committed(receipt)
        case .rejected(let rejection): return .rejected(rejection)
        }
    }

    func changes(since: Int64, limit: Int, wait: Duration?) async throws -> RemoteChanges {
        do {
            let page = try await store.changes(vaultID, user: user, since: since, limit: limit, wait: wait)
            return .page(tamperPage.withLock { $0 }?(page) ?? page)
        } catch {
            guard case .cursorGone = error else { throw error }
            return .cursorGone
        }
    }

    func revisions(of entry: EntryID, before: Int64?, limit: Int) async throws -> RevisionList {
        try await store.revisions(vaultID, user: user, entry: entry, before: before, limit: limit)
    }

    func trash(before: Int64?, limit: Int) async throws -> TrashPage {
        try await store.trash(vaultID, user: user, before: before, limit: limit)
    }
}
