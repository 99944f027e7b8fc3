import CoffreProtocol

/// The blob records a commit carries (`CommitWithBlobs`), split in place: the request body is
/// already in memory, so each blob is a slice of it and nothing is copied. Framed and bounded as
/// a blob batch's records (`BlobBatchDecoder`); a record repeating an id already seen is dropped
/// unread, as the batch route skips it.
struct CarriedBlobs: Sendable {
    /// One carried blob: its claimed id and its bytes (not checked against the id yet).
    struct Blob: Sendable {
        let id: BlobID
        let bytes: ArraySlice<UInt8>

        /// Its row's view: the id and the size.
        var stored: StoredBlob { StoredBlob(id: id, size: Int64(bytes.count)) }

        /// Throws `hashMismatch` unless the bytes hash to the id (SHA-256).
        func verify() throws(BlobStoreError) {
            try id.check(bytes)
        }
    }

    /// Each distinct id once, in the order of their first record.
    let blobs: [Blob]

    /// Splits `records`; throws `BlobBatchFramingError` for more than `maxBlobs` records, a record
    /// longer than `maxBlobBytes` or one cut short.
    init(records: ArraySlice<UInt8>, maxBlobs: Int, maxBlobBytes: Int64) throws {
        var decoder = BlobBatchDecoder(maxBlobs: maxBlobs, maxBlobBytes: maxBlobBytes)
        var found: [Blob] = []
        var seen = Set<BlobID>()
        try records.withUnsafeBytes { raw in
            // Fed in one piece, the decoder hands each record's bytes over in one event, a
            // sub-buffer of `raw`: its offset in `raw` is its offset in `records`.
            var current: (id: BlobID, range: Range<Int>)?
            try decoder.feed(raw) { event in
                switch event {
                case .begin(let id, _):
                    current = (id, 0..<0)
                case .bytes(let piece):
                    guard let base = raw.baseAddress, let start = piece.baseAddress else { return }
                    let offset = start - base
                    current?.range = offset..<(offset + piece.count)
                case .end:
                    guard let record = current else { return }
                    current = nil
                    guard seen.insert(record.id).inserted else { return }
                    let lower = records.startIndex + record.range.lowerBound
                    found.append(Blob(id: record.id, bytes: records[lower..<(lower + record.range.count)]))
                }
            }
        }
        try decoder.finish()
        blobs = found
    }

    /// The ids, in order.
    var ids: [BlobID] { blobs.map(\.id) }

    /// The bytes of every blob.
    var totalBytes: Int64 { blobs.reduce(0) { $0 + Int64($1.bytes.count) } }
}
