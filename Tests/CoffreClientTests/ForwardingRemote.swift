import CoffreClient
import CoffreProtocol

/// A test remote that forwards every call to an `InProcessRemote`: a conformer implements only
/// the calls it watches or refuses (its own implementation wins over these).
protocol ForwardingRemote: SyncRemote {
    var inner: InProcessRemote { get }
}

extension ForwardingRemote {
    var vaultID: VaultID { inner.vaultID }
    func vaultState() async throws -> VaultSummary { try await inner.vaultState() }
    func vaultKeys() async throws -> [WrappedVaultKey] { try await inner.vaultKeys() }
    func missingBlobs(_ ids: [BlobID]) async throws -> [BlobID] { try await inner.missingBlobs(ids) }
    func putBlob(_ id: BlobID, bytes: [UInt8]) async throws { try await inner.putBlob(id, bytes: bytes) }
    func putBlobs(_ blobs: [BlobPayload]) async throws { try await inner.putBlobs(blobs) }
    func getBlob(_ id: BlobID, into buffer: inout BlobFetchBuffer) async throws { try await inner.getBlob(id, into: &buffer) }
    func commit(_ request: CommitRequest) async throws -> RemoteCommitOutcome { try await inner.commit(request) }
    func changes(since: Int64, limit: Int, wait: Duration?) async throws -> RemoteChanges {
        try await inner.changes(since: since, limit: limit, wait: wait)
    }
    func revisions(of entry: EntryID, before: Int64?, limit: Int) async throws -> RevisionList {
        try await inner.revisions(of: entry, before: before, limit: limit)
    }
    func trash(before: Int64?, limit: Int) async throws -> TrashPage { try await inner.trash(before: before, limit: limit) }
}
