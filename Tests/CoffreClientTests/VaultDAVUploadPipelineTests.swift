@testable import CoffreClient
import CoffreProtocol
import Synchronization
import Testing

/// A large PUT uploads several groups of blobs at once while the sealer goes on, at most
/// `VaultDAVStorage.uploadsInFlight`; an upload that fails fails the PUT and commits nothing.
@Suite("Vault WebDAV upload pipeline")
struct VaultDAVUploadPipelineTests {
    typealias F = VaultDAVFixture

    /// The in-process remote, with batch uploads that wait for a turn of the scheduler (so
    /// uploads can overlap), count how many run at once, and fail from the `failFrom`-th on.
    final class GatedRemote: ForwardingRemote {
        let inner: InProcessRemote
        let failFrom: Int?
        /// Batches started, batches running now, the most running at once, and the largest
        /// batch's blob count and bytes.
        let state = Mutex((started: 0, running: 0, most: 0, largest: 0, largestBytes: 0))

        struct UploadRefused: Error {}

        init(_ inner: InProcessRemote, failFrom: Int? = nil) {
            self.inner = inner
            self.failFrom = failFrom
        }

        func putBlobs(_ blobs: [BlobPayload]) async throws {
            let number = state.withLock { state in
                state.started += 1
                state.running += 1
                state.most = max(state.most, state.running)
                state.largest = max(state.largest, blobs.count)
                state.largestBytes = max(state.largestBytes, blobs.reduce(0) { $0 + $1.bytes.count })
                return state.started
            }
            defer { state.withLock { $0.running -= 1 } }
            // Let the sealer and the other uploads run before this one goes on.
            for _ in 0..<20 { await Task.yield() }
            if let failFrom, number >= failFrom { throw UploadRefused() }
            try await inner.putBlobs(blobs)
        }
    }

    func gateway(_ remote: GatedRemote, _ fixture: F) async throws -> VaultDAVStorage {
        try await VaultDAVStorage.open(remote: remote, openGrant: fixture.world.grantOpener, chunking: SyncWorld.smallChunks, workers: 2)
    }

    @Test func uploadsOverlapWithinTheBound() async throws {
        let fixture = try await F()
        let remote = GatedRemote(fixture.world.remote())
        let dav = try await gateway(remote, fixture)
        let content = F.noise(3 << 20, seed: 77)
        let result = try await dav.write(try F.path("big.bin"), body: F.body(content), condition: .absent)
        #expect(result.created)
        let (started, most, largest, largestBytes) = remote.state.withLock { ($0.started, $0.most, $0.largest, $0.largestBytes) }
        // 3 MiB in chunks of at most 64 KiB: far more groups than may upload at once, each
        // group one batch of at most `uploadGroupSize` blobs and `uploadGroupBytes`.
        #expect(started > VaultDAVStorage.uploadsInFlight)
        #expect(most <= VaultDAVStorage.uploadsInFlight)
        #expect(largest == VaultDAVStorage.uploadGroupSize)
        #expect(largestBytes <= VaultDAVStorage.uploadGroupBytes)
        #expect(try await F.read(try await fixture.gateway(), "big.bin") == content)
    }

    @Test func aFailedUploadFailsThePutAndCommitsNothing() async throws {
        let fixture = try await F()
        let remote = GatedRemote(fixture.world.remote(), failFrom: 3)
        let dav = try await gateway(remote, fixture)
        await #expect(throws: (any Error).self) {
            try await dav.write(try F.path("big.bin"), body: F.body(F.noise(2 << 20, seed: 5)), condition: .always)
        }
        // Nothing committed, nothing shown, and no upload left running behind the refusal.
        #expect(try await fixture.world.liveEntries().isEmpty)
        #expect(try await dav.info(at: try F.path("big.bin"), withProperties: false) == nil)
        #expect(remote.state.withLock { $0.running } == 0)
    }
}
