import CoffreProtocol

/// Exactly what the sync engine needs from the server, for one vault (docs/sync-engine.md has
/// the semantics). The CLI adapts its typed HTTP client to it; tests run the server's
/// `SyncStore` in-process behind it.
///
/// Answers that are part of the protocol come back as values (`RemoteCommitOutcome`,
/// `RemoteChanges`); anything else — transport failures, refusals, server errors — is thrown,
/// and the engine stops the pass and reports it. Thrown errors' descriptions must not hold
/// secrets: the engine shows them.
public protocol SyncRemote: Sendable {
    /// The vault this remote talks to.
    var vaultID: VaultID { get }

    /// The vault as the caller sees it: role, current key generation, seq.
    func vaultState() async throws -> VaultSummary

    /// The caller's grants of the vault key, one per generation it holds.
    func vaultKeys() async throws -> [WrappedVaultKey]

    /// The ids among `ids` (at most `SyncLimits.maxMissingQueryIDs` on the server, 10,000)
    /// that the vault does not hold, each once.
    func missingBlobs(_ ids: [BlobID]) async throws -> [BlobID]

    /// Uploads one blob; the server checks that `id` is the SHA-256 of `bytes`.
    func putBlob(_ id: BlobID, bytes: [UInt8]) async throws

    /// Uploads several small blobs in one request.
    func putBlobs(_ blobs: [BlobPayload]) async throws

    /// Fetches the blob `id` into `buffer`, which refuses more than the largest blob.
    func getBlob(_ id: BlobID, into buffer: inout BlobFetchBuffer) async throws

    /// Fetches small blobs, `capacity` bytes at most each, in as few requests as the remote
    /// can; one outcome per request, in order: the bytes (not verified yet: the caller checks
    /// them as `getBlob`'s), or the failure of that blob alone. Throws when the exchange fails.
    func getBlobs(_ requests: [BlobFetch]) async throws -> [Result<[UInt8], any Error>]

    /// Applies a commit all together or not at all.
    func commit(_ request: CommitRequest) async throws -> RemoteCommitOutcome

    /// Stores `blobs` (small ones, within `CommitWithBlobs`'s limits) durably, then applies
    /// `request`, which references them; a blob refused fails the call and nothing is committed.
    func commit(_ request: CommitRequest, carrying blobs: [BlobPayload]) async throws -> RemoteCommitOutcome

    /// One page of the changes feed after `since`; with `wait`, long-polls while nothing is new.
    func changes(since: Int64, limit: Int, wait: Duration?) async throws -> RemoteChanges

    /// An entry's retained revisions, newest first, before revision `before` (all when nil).
    func revisions(of entry: EntryID, before: Int64?, limit: Int) async throws -> RevisionList

    /// The trash (entries whose current state is a tombstone), most recent first.
    func trash(before: Int64?, limit: Int) async throws -> TrashPage
}

extension SyncRemote {
    /// Two requests: the blobs as a batch, then the commit (a remote without a single route
    /// for both).
    public func commit(_ request: CommitRequest, carrying blobs: [BlobPayload]) async throws -> RemoteCommitOutcome {
        if !blobs.isEmpty { try await putBlobs(blobs) }
        return try await commit(request)
    }
}

extension SyncRemote {
    /// The blob `id` in an array of its own, refused beyond `capacity` bytes (`getBlob` into a
    /// buffer of that size).
    public func getBlob(_ id: BlobID, capacity: Int) async throws -> [UInt8] {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        defer { storage.deallocate() }
        var buffer = BlobFetchBuffer(storage: storage, chunkIndex: 0)
        try await getBlob(id, into: &buffer)
        return Array(UnsafeRawBufferPointer(rebasing: storage[0..<buffer.count]))
    }

    /// One `getBlob` per blob (a remote without a route for many).
    public func getBlobs(_ requests: [BlobFetch]) async throws -> [Result<[UInt8], any Error>] {
        var outcomes: [Result<[UInt8], any Error>] = []
        outcomes.reserveCapacity(requests.count)
        for request in requests {
            do {
                outcomes.append(.success(try await getBlob(request.id, capacity: request.capacity)))
            } catch {
                outcomes.append(.failure(error))
            }
        }
        return outcomes
    }
}

/// One blob to fetch with others (`SyncRemote.getBlobs`).
public struct BlobFetch: Sendable, Equatable {
    /// The blob.
    public let id: BlobID
    /// The most bytes it may have.
    public let capacity: Int

    /// A fetch of `id`, refused beyond `capacity` bytes.
    public init(id: BlobID, capacity: Int) {
        self.id = id
        self.capacity = capacity
    }
}

/// One blob of a batch upload.
public struct BlobPayload: Sendable, Equatable {
    /// SHA-256 of `bytes`.
    public let id: BlobID
    /// The sealed blob.
    public let bytes: [UInt8]

    /// One blob.
    public init(id: BlobID, bytes: [UInt8]) {
        self.id = id
        self.bytes = bytes
    }
}

/// The server's answer to a commit.
public enum RemoteCommitOutcome: Sendable, Equatable {
    /// 200: it landed (or had landed: `receipt.replayed`).
    case committed(CommitReceipt)
    /// 409: nothing changed; the conflicts say why.
    case rejected(CommitRejection)
}

/// The server's answer to a changes request.
public enum RemoteChanges: Sendable, Equatable {
    /// A page of the feed.
    case page(ChangesPage)
    /// 410: the cursor is older than the retained history; resync from 0.
    case cursorGone
}
