/// A commit that carries the small blobs it references (`POST …/commits` with
/// `Content-Type: application/vnd.coffre.commit-with-blobs`, docs/protocol.md, "Commit with
/// blobs"): a small file costs one request instead of an upload and a commit. The server
/// verifies and stores the blobs durably (as a blob batch does) before the commit's
/// transaction. Integers are big-endian; `[n]` is n raw bytes.
///
///     blobsLength u32 · blob records [blobsLength] · commit (`CommitRequest+Binary`, to the end)
///
/// The blob records are those of a blob-batch body (`BlobBatchFraming`): at most
/// `maximumBlobs` records and `maximumBlobBytes` bytes of them, headers included.
public enum CommitWithBlobs {
    /// The media type clients send.
    public static let mediaType = "application/vnd.coffre.commit-with-blobs"
    /// Most blob records one commit carries.
    public static let maximumBlobs = 64
    /// Most bytes of blob records (headers included) one commit carries: larger content goes
    /// through the blob routes first.
    public static let maximumBlobBytes = 4 << 20

    /// The body for `commit` carrying `blobs` (each id the SHA-256 of its bytes). The caller
    /// keeps within `maximumBlobs` and `maximumBlobBytes`.
    public static func encode(_ commit: CommitRequest, blobs: [(id: BlobID, bytes: [UInt8])]) -> [UInt8] {
        let recordBytes = BlobBatchFraming.bodyLength(blobSizes: blobs.map(\.bytes.count))
        let encodedCommit = commit.binaryEncoded()
        var body: [UInt8] = []
        body.reserveCapacity(4 + Int(recordBytes) + encodedCommit.count)
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: recordBytes).bigEndian) { body.append(contentsOf: $0) }
        for blob in blobs {
            body += BlobBatchFraming.header(id: blob.id, length: UInt32(truncatingIfNeeded: blob.bytes.count))
            body += blob.bytes
        }
        body += encodedCommit
        return body
    }

    /// Splits `body` into its blob records (framed as a blob batch, checked by the caller's
    /// `BlobBatchDecoder`) and its commit, decoded under `limits`. Throws `BinaryWireError`
    /// for a body shorter than its blob section says or a blob section over `maximumBlobBytes`.
    public static func decode(_ body: [UInt8], limits: BinaryWireLimits) throws(BinaryWireError)
        -> (blobRecords: ArraySlice<UInt8>, commit: CommitRequest)
    {
        let length = body.withUnsafeBytes { raw in
            Result { () throws(BinaryWireError) -> Int in
                var reader = BinaryWireReader(raw)
                return try reader.count(
                    limit: maximumBlobBytes, rule: "a commit carries at most \(maximumBlobBytes) bytes of blob records")
            }
        }
        let recordBytes = try length.get()
        guard recordBytes <= body.count - 4 else { throw .truncated }
        let commit = try CommitRequest(binary: Array(body[(4 + recordBytes)...]), limits: limits)
        return (body[4..<(4 + recordBytes)], commit)
    }
}
