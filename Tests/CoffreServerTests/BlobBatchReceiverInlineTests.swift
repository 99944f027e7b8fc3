@testable import CoffreServer
import CoffreProtocol
import Foundation
import Testing

/// `BlobBatchReceiver`'s in-memory side: which small blobs it keeps for the database, within
/// its byte budget, and what it does with bytes that do not match their id.
@Suite struct BlobBatchReceiverInlineTests {
    private func records(_ blobs: [(id: BlobID, bytes: [UInt8])]) -> [UInt8] {
        blobs.flatMap { BlobBatchFraming.header(id: $0.id, length: UInt32($0.bytes.count)) + $0.bytes }
    }

    @Test func smallBlobsStayInMemoryUpToTheBudgetAndTheRestGoToFiles() throws {
        let root = try TemporaryDirectory()
        let disk = try DiskBlobStore(root: root.path, configuration: .init(freeSpaceReserve: 0))
        let batch = try DiskBlobBatch(store: disk, namespace: try BlobNamespace("v"), expectedBytes: 0)
        let receiver = BlobBatchReceiver(
            batch: batch, maxBlobs: 100, maxBlobBytes: 1 << 20, inline: .init(maxBlobBytes: 1_000, budget: 2_500))
        let small = (0..<4).map { _ in SyncSamples.blob(1_000) }
        let large = SyncSamples.blob(1_001)
        let wrong = (id: SyncSamples.blob(500).id, bytes: SyncSamples.blob(500).bytes)
        let body = records([small[0], wrong, small[1], large, small[2], small[3], small[0]])
        // Fed in uneven pieces: a record's bytes arrive in several events.
        var pieces: [[UInt8]] = []
        var offset = 0
        while offset < body.count {
            let end = min(body.count, offset + 333)
            pieces.append(Array(body[offset..<end]))
            offset = end
        }
        try receiver.consume(pieces)
        let outcome = try receiver.finish()
        #expect(
            outcome == [
                .verified(small[0].id, size: 1_000), .hashMismatch(wrong.id), .verified(small[1].id, size: 1_000),
                .verified(large.id, size: 1_001), .verified(small[2].id, size: 1_000), .verified(small[3].id, size: 1_000),
                .repeated(small[0].id),
            ])
        // The budget of 2,500 bytes held two: the third small blob went to a file, like the large one.
        #expect(receiver.inlineBlobs == [small[0].id: small[0].bytes, small[1].id: small[1].bytes])
        let published = try batch.publish([large.id, small[2].id, small[3].id])
        #expect(Set(published.keys) == [large.id, small[2].id, small[3].id])
        #expect(try disk.open(namespace: try BlobNamespace("v"), id: small[2].id).readAll(maxBytes: 2_000) == small[2].bytes)
    }

    @Test func inliningOffKeepsEveryBlobInFiles() throws {
        let root = try TemporaryDirectory()
        let disk = try DiskBlobStore(root: root.path, configuration: .init(freeSpaceReserve: 0))
        let batch = try DiskBlobBatch(store: disk, namespace: try BlobNamespace("v"), expectedBytes: 0)
        let receiver = BlobBatchReceiver(batch: batch, maxBlobs: 10, maxBlobBytes: 1 << 20, inline: .init(maxBlobBytes: 0, budget: 0))
        let empty = SyncSamples.blob(0)
        try receiver.consume([records([empty, SyncSamples.blob(10)])])
        #expect(try receiver.finish().count == 2)
        #expect(receiver.inlineBlobs.isEmpty)
    }
}
