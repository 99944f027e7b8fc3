@testable import CoffreServer
import CoffreProtocol
import Foundation
import Synchronization
import Testing

/// The blob-batch framing decoder on hostile input, and the per-blob locks.
@Suite struct BlobBatchAndLockTests {
    private func decode(_ body: [UInt8], pieces: Int, maxBlobs: Int = 10, maxBlobBytes: Int64 = 1_000) throws -> [(BlobID, [UInt8])] {
        var decoder = BlobBatchDecoder(maxBlobs: maxBlobs, maxBlobBytes: maxBlobBytes)
        var blobs: [(BlobID, [UInt8])] = []
        var offset = 0
        let size = max(1, body.count / pieces)
        while offset < body.count {
            let piece = Array(body[offset..<min(offset + size, body.count)])
            try piece.withUnsafeBytes { raw in
                try decoder.feed(raw) { event in
                    switch event {
                    case .begin(let id, _): blobs.append((id, []))
                    case .bytes(let bytes): blobs[blobs.count - 1].1 += Array(bytes)
                    case .end: break
                    }
                }
            }
            offset += size
        }
        try decoder.finish()
        return blobs
    }

    @Test func recordsSurviveAnySplitOfTheBody() throws {
        let blobs = (0..<5).map { _ in SyncSamples.blob(Int.random(in: 0...300)) }
        var body: [UInt8] = []
        for blob in blobs { body += BlobBatchFraming.header(id: blob.id, length: UInt32(blob.bytes.count)) + blob.bytes }
        #expect(BlobBatchFraming.bodyLength(blobSizes: blobs.map(\.bytes.count)) == Int64(body.count))
        for pieces in [1, 3, 17, body.count] {
            let decoded = try decode(body, pieces: pieces)
            #expect(decoded.map(\.0) == blobs.map(\.id) && decoded.map(\.1) == blobs.map(\.bytes), "\(pieces) pieces")
        }
    }

    @Test func hostileBodiesAreRefused() throws {
        let blob = SyncSamples.blob(10)
        let record = BlobBatchFraming.header(id: blob.id, length: 10) + blob.bytes
        #expect(throws: BlobBatchFramingError.truncated) { try decode(Array(record.dropLast()), pieces: 1) }
        #expect(throws: BlobBatchFramingError.truncated) { try decode(Array(record.prefix(20)), pieces: 2) }
        #expect(throws: BlobBatchFramingError.tooManyBlobs(limit: 2)) {
            try decode(record + record + record, pieces: 1, maxBlobs: 2)
        }
        #expect(throws: BlobBatchFramingError.blobTooLarge(limit: 1_000)) {
            try decode(BlobBatchFraming.header(id: blob.id, length: .max), pieces: 1)
        }
        #expect(try decode([], pieces: 1).isEmpty)
    }

    /// Counts the tasks inside a critical section and the most seen at once.
    final class Holders: Sendable {
        private let counts = Mutex((inside: 0, most: 0))
        func enter() { counts.withLock { $0.inside += 1; $0.most = max($0.most, $0.inside) } }
        func leave() { counts.withLock { $0.inside -= 1 } }
        var most: Int { counts.withLock { $0.most } }
    }

    @Test func locksSerialiseOneBlobAndLetOthersThrough() async throws {
        let locks = BlobLocks()
        let vault = SyncSamples.vaultID()
        let a = BlobLocks.Key(vault: vault, blob: SyncSamples.blob(1).id)
        let b = BlobLocks.Key(vault: vault, blob: SyncSamples.blob(1).id)
        let holders = Holders()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                // Every task takes `a`; half also take `b`, listed in either order.
                let keys = index % 2 == 0 ? [a] : (index % 4 == 1 ? [a, b] : [b, a, a])
                group.addTask {
                    try await locks.withLocks(keys) {
                        holders.enter()
                        try await Task.sleep(for: .milliseconds(1))
                        holders.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(holders.most == 1, "never two holders of `a` at once")
        #expect(locks.heldCount == 0)
        // A key nobody holds is taken at once while another is held.
        try await locks.withLocks([a]) { try await locks.withLocks([b]) { #expect(locks.heldCount == 2) } }
    }
}
