/// Asks for many blobs in one response (`POST …/blob-fetch`), so that a device downloading
/// thousands of small files does not pay one request each (docs/protocol.md, "Blobs").
///
/// The answer is `BlobBatchFraming` records, one per id, in request order, for a prefix of the
/// ids: the server stops before the record that would take the blob bytes past
/// `maxResponseBytes` (the first record always goes), and the client asks again for the rest.
/// A blob the vault does not hold is a record of length 0: no sealed blob is empty, and the
/// client's check that the bytes hash to the id tells the one empty blob from a missing one.
public struct BlobFetchRequest: Sendable, Codable, Equatable {
    /// The ids to fetch, in the order the answer follows (duplicates allowed).
    public var ids: [BlobID]

    /// A fetch of `ids`.
    public init(ids: [BlobID]) {
        self.ids = ids
    }

    /// The most ids one request may ask for.
    public static let maxIDs = 1024
    /// Blob bytes after which the server ends the answer (before the next record).
    public static let maxResponseBytes: Int64 = 16 << 20
    /// The media type of the answer (the records of a blob batch).
    public static let responseContentType = BlobBatchFraming.contentType
}
