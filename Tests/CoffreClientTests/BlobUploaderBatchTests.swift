@testable import CoffreClient
import CoffreCrypto
import CoffreProtocol
import Foundation
import Synchronization
import Testing

/// `BlobUploader`: large chunks travel in batches, and a server whose body limit is smaller
/// than a batch (413 `body_too_large`) gets every blob anyway, in smaller requests.
@Suite struct BlobUploaderBatchTests {
    /// A remote that takes blob uploads only: a batch (or `PUT`) of more than `limit` bytes is
    /// refused as `storage.maxBlobBytes` refuses it; every other route is not expected here.
    final class LimitedRemote: SyncRemote {
        let vaultID = VaultID(high: 3, low: 4)
        let limit: Int
        /// Every accepted request: its blob ids.
        let accepted = Mutex<[[BlobID]]>([])

        init(limit: Int) {
            self.limit = limit
        }

        struct NotExpected: Error {}

        func putBlob(_ id: BlobID, bytes: [UInt8]) async throws {
            try await putBlobs([BlobPayload(id: id, bytes: bytes)])
        }

        func putBlobs(_ blobs: [BlobPayload]) async throws {
            guard blobs.reduce(0, { $0 + $1.bytes.count }) <= limit else {
                throw APIClientError.server(status: 413, code: .bodyTooLarge, message: "too large", retryAfterSeconds: nil)
            }
            accepted.withLock { $0.append(blobs.map(\.id)) }
        }

        func vaultState() async throws -> VaultSummary { throw NotExpected() }
        func vaultKeys() async throws -> [WrappedVaultKey] { throw NotExpected() }
        func missingBlobs(_ ids: [BlobID]) async throws -> [BlobID] { throw NotExpected() }
        func getBlob(_ id: BlobID, into buffer: inout BlobFetchBuffer) async throws { throw NotExpected() }
        func commit(_ request: CommitRequest) async throws -> RemoteCommitOutcome { throw NotExpected() }
        func changes(since: Int64, limit: Int, wait: Duration?) async throws -> RemoteChanges { throw NotExpected() }
        func revisions(of entry: EntryID, before: Int64?, limit: Int) async throws -> RevisionList { throw NotExpected() }
        func trash(before: Int64?, limit: Int) async throws -> TrashPage { throw NotExpected() }
    }

    /// `count` distinct blobs of `size` bytes, ids as the server checks them.
    static func blobs(_ count: Int, size: Int) throws -> [BlobPayload] {
        try (0..<count).map { index in
            let bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: size - 1) + [UInt8(truncatingIfNeeded: index >> 8)]
            return BlobPayload(id: BlobID(bytes: try SHA256.hash(bytes))!, bytes: bytes)
        }
    }

    @Test func largeChunksAreBatchedUpToTheByteLimit() throws {
        let chunks = try Self.blobs(40, size: 1 << 20)
        let requests = BlobUploader.requests(for: chunks)
        #expect(requests.count == 3)
        #expect(requests.allSatisfy { $0.reduce(0) { $0 + $1.bytes.count } <= BlobUploader.batchByteLimit })
        #expect(requests.flatMap { $0 }.map(\.id) == chunks.map(\.id))
        // A blob beyond the batch limit travels alone.
        let huge = try Self.blobs(1, size: BlobUploader.batchByteLimit + 1)
        let mixed = BlobUploader.requests(for: chunks.prefix(2) + huge)
        #expect(mixed.count == 2)
        #expect(mixed.contains { $0.map(\.id) == [huge[0].id] })
        #expect(mixed.contains { $0.map(\.id) == chunks.prefix(2).map(\.id) })
    }

    @Test func aBatchTooLargeForTheServerIsSplitUntilItFits() async throws {
        let chunks = try Self.blobs(7, size: 1 << 20)
        let remote = LimitedRemote(limit: 2 << 20)
        try await BlobUploader.put(chunks, to: remote)
        let accepted = remote.accepted.withLock { $0 }
        #expect(Set(accepted.flatMap { $0 }) == Set(chunks.map(\.id)))
        #expect(accepted.flatMap { $0 }.count == chunks.count)
        #expect(accepted.allSatisfy { $0.count <= 2 })
    }

    @Test func aBlobTheServerRefusesEvenAloneFails() async throws {
        let remote = LimitedRemote(limit: 1 << 19)
        await #expect(throws: APIClientError.self) { try await BlobUploader.put(try Self.blobs(3, size: 1 << 20), to: remote) }
        #expect(remote.accepted.withLock { $0 }.isEmpty)
    }
}
