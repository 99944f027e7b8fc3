@testable import CoffreServer
import CoffreProtocol
import Testing

/// Splitting a commit's blob records in place (`CarriedBlobs`): slices that are exactly each
/// record's bytes, whatever the slice's own start index, and every framing fault refused.
@Suite struct CarriedBlobsTests {
    private static func records(_ blobs: [(id: BlobID, bytes: [UInt8])]) -> [UInt8] {
        blobs.flatMap { BlobBatchFraming.header(id: $0.id, length: UInt32($0.bytes.count)) + $0.bytes }
    }

    @Test func recordsSplitInPlaceAndRepeatsDropped() throws {
        let first = SyncSamples.blob(300), empty = SyncSamples.blob(0), last = SyncSamples.blob(5)
        // A prefix, as in the request body the records are cut from: indices do not start at 0.
        let body = [9, 9, 9] + Self.records([first, empty, first, last])
        let carried = try CarriedBlobs(records: body[3...], maxBlobs: 8, maxBlobBytes: 1_000)
        #expect(carried.ids == [first.id, empty.id, last.id])
        #expect(carried.blobs.map { Array($0.bytes) } == [first.bytes, [], last.bytes])
        #expect(carried.totalBytes == 305)
        for blob in carried.blobs { try blob.verify() }
    }

    @Test func bytesNotMatchingTheirIDAreCaught() throws {
        let claimed = SyncSamples.blob(64), other = SyncSamples.blob(64)
        let carried = try CarriedBlobs(
            records: Self.records([(claimed.id, other.bytes)])[...], maxBlobs: 8, maxBlobBytes: 1_000)
        #expect(throws: BlobStoreError.hashMismatch) { try carried.blobs[0].verify() }
    }

    @Test func framingFaultsAreRefused() {
        let blob = SyncSamples.blob(100)
        let whole = Self.records([blob])
        #expect(throws: BlobBatchFramingError.truncated) {
            try CarriedBlobs(records: whole.dropLast(), maxBlobs: 8, maxBlobBytes: 1_000)
        }
        #expect(throws: BlobBatchFramingError.truncated) {
            try CarriedBlobs(records: whole.prefix(10), maxBlobs: 8, maxBlobBytes: 1_000)
        }
        #expect(throws: BlobBatchFramingError.blobTooLarge(limit: 99)) {
            try CarriedBlobs(records: whole[...], maxBlobs: 8, maxBlobBytes: 99)
        }
        #expect(throws: BlobBatchFramingError.tooManyBlobs(limit: 1)) {
            try CarriedBlobs(records: Self.records([blob, SyncSamples.blob(1)])[...], maxBlobs: 1, maxBlobBytes: 1_000)
        }
    }
}
