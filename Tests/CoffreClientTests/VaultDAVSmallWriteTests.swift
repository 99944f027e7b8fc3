@testable import CoffreClient
import CoffreProtocol
import Synchronization
import Testing

/// A PUT whose body is one chunk is one request to the server: the commit carries the chunk's
/// blob (`SyncRemote.commit(_:carrying:)`), no batch upload goes before it, and a refusal of
/// that request fails the PUT with nothing committed.
@Suite("Vault WebDAV small writes")
struct VaultDAVSmallWriteTests {
    typealias F = VaultDAVFixture

    /// The in-process remote, recording batch uploads and the blobs each carrying commit
    /// brought; it refuses carrying commits with `refusal` when one is set.
    final class CarryingRemote: ForwardingRemote {
        let inner: InProcessRemote
        let refusal: APIClientError?
        /// Batch uploads made, and the blob ids of each carrying commit, in order.
        let calls = Mutex((batches: 0, carried: [[BlobID]]()))

        init(_ inner: InProcessRemote, refusal: APIClientError? = nil) {
            self.inner = inner
            self.refusal = refusal
        }

        func putBlobs(_ blobs: [BlobPayload]) async throws {
            calls.withLock { $0.batches += 1 }
            try await inner.putBlobs(blobs)
        }

        func commit(_ request: CommitRequest, carrying blobs: [BlobPayload]) async throws -> RemoteCommitOutcome {
            calls.withLock { $0.carried.append(blobs.map(\.id)) }
            if let refusal { throw refusal }
            try await inner.putBlobs(blobs)
            return try await inner.commit(request)
        }
    }

    func gateway(_ remote: CarryingRemote, _ fixture: F) async throws -> VaultDAVStorage {
        try await VaultDAVStorage.open(remote: remote, openGrant: fixture.world.grantOpener, chunking: SyncWorld.smallChunks, workers: 2)
    }

    @Test func aSmallBodyTravelsWithItsCommit() async throws {
        let fixture = try await F()
        let remote = CarryingRemote(fixture.world.remote())
        let dav = try await gateway(remote, fixture)
        let created = try await dav.write(try F.path("note.txt"), body: F.body("hello"), condition: .absent)
        #expect(created.created)
        let replaced = try await dav.write(try F.path("note.txt"), body: F.body("hello again"), condition: .always)
        #expect(!replaced.created)
        // An empty body has no blob: a plain commit.
        _ = try await dav.write(try F.path("empty.txt"), body: F.body(""), condition: .absent)
        let calls = remote.calls.withLock { $0 }
        #expect(calls.batches == 0)
        #expect(calls.carried.count == 2 && calls.carried.allSatisfy { $0.count == 1 } && calls.carried[0] != calls.carried[1])
        // What another gateway reads back from the server.
        let reader = try await fixture.gateway()
        #expect(try await F.text(reader, "note.txt") == "hello again")
        #expect(try await F.text(reader, "empty.txt") == "")
    }

    @Test func aRefusedCarryingCommitFailsThePutAndCommitsNothing() async throws {
        let fixture = try await F()
        let refusal = APIClientError.server(status: 507, code: .quotaExceeded, message: "over quota", retryAfterSeconds: nil)
        let remote = CarryingRemote(fixture.world.remote(), refusal: refusal)
        let dav = try await gateway(remote, fixture)
        // RFC 4918 §11.5: 507 for a write refused for want of room.
        await #expect(throws: DAVError.insufficientStorage("quota exceeded")) {
            try await dav.write(try F.path("note.txt"), body: F.body("hello"), condition: .absent)
        }
        #expect(try await fixture.world.liveEntries().isEmpty)
        #expect(try await dav.info(at: try F.path("note.txt"), withProperties: false) == nil)
    }
}
