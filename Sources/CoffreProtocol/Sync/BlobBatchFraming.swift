/// The body of a blob batch (`POST …/blob-batch`): many small blobs in one request, so that
/// thousands of small files do not cost thousands of round trips (DESIGN §7).
///
/// The body is a sequence of records, nothing before, between or after them:
///
///     id (32 bytes, the raw SHA-256) ‖ length (4 bytes, unsigned big-endian) ‖ length bytes
///
/// An empty body is a batch of no blobs. The request needs a Content-Length, which the server
/// checks against its limits (and the uploader's quota) before reading anything.
public enum BlobBatchFraming {
    /// Bytes before each blob: its id and its length.
    public static let recordHeaderBytes = BlobID.byteCount + 4
    /// The media type clients send.
    public static let contentType = "application/vnd.coffre.blob-batch"

    /// The header of one record.
    public static func header(id: BlobID, length: UInt32) -> [UInt8] {
        var header = id.bytes
        header.reserveCapacity(recordHeaderBytes)
        for shift in stride(from: 24, through: 0, by: -8) { header.append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
        return header
    }

    /// The body length of a batch of blobs of these sizes.
    public static func bodyLength(blobSizes: some Sequence<Int>) -> Int64 {
        blobSizes.reduce(Int64(0)) { $0 + Int64(recordHeaderBytes) + Int64($1) }
    }
}

/// A blob-batch body that breaks its framing or its limits.
public enum BlobBatchFramingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The body ends inside a record.
    case truncated
    /// More records than allowed.
    case tooManyBlobs(limit: Int)
    /// A record announces more bytes than one blob may have.
    case blobTooLarge(limit: Int64)

    public var description: String {
        switch self {
        case .truncated: return "the batch body ends inside a record"
        case .tooManyBlobs(let limit): return "a batch holds at most \(limit) blobs"
        case .blobTooLarge(let limit): return "a blob in a batch has at most \(limit) bytes"
        }
    }
}

/// What `BlobBatchDecoder` finds in the bytes it is fed, in order.
public enum BlobBatchEvent {
    /// A record starts: the blob's id and length.
    case begin(id: BlobID, length: Int64)
    /// Bytes of the current blob, valid only during the callback.
    case bytes(UnsafeRawBufferPointer)
    /// The current blob is complete.
    case end
}

/// Splits a blob-batch body into records as it arrives, in pieces of any size, without copying
/// blob bytes: each piece is handed on as it lies in the buffer fed in.
public struct BlobBatchDecoder: Sendable {
    private let maxBlobs: Int
    private let maxBlobBytes: Int64
    private var header: [UInt8] = []
    private var remaining: Int64 = 0
    private var inBlob = false
    /// Records begun so far.
    public private(set) var blobCount = 0

    /// A decoder refusing more than `maxBlobs` records or a record longer than `maxBlobBytes`.
    public init(maxBlobs: Int, maxBlobBytes: Int64) {
        self.maxBlobs = maxBlobs
        self.maxBlobBytes = maxBlobBytes
        header.reserveCapacity(BlobBatchFraming.recordHeaderBytes)
    }

    /// Feeds the next piece of the body; `handle` sees the events it completes, in order.
    /// Throws `BlobBatchFramingError`, or what `handle` throws.
    public mutating func feed(_ piece: UnsafeRawBufferPointer, _ handle: (BlobBatchEvent) throws -> Void) throws {
        var offset = 0
        while offset < piece.count {
            if inBlob {
                let take = Int(min(Int64(piece.count - offset), remaining))
                try handle(.bytes(UnsafeRawBufferPointer(rebasing: piece[offset..<(offset + take)])))
                offset += take
                remaining -= Int64(take)
                if remaining == 0 {
                    inBlob = false
                    try handle(.end)
                }
                continue
            }
            let take = min(piece.count - offset, BlobBatchFraming.recordHeaderBytes - header.count)
            header.append(contentsOf: piece[offset..<(offset + take)])
            offset += take
            guard header.count == BlobBatchFraming.recordHeaderBytes else { continue }
            try beginRecord(handle)
        }
    }

    /// Checks that the body ended on a record boundary.
    public func finish() throws(BlobBatchFramingError) {
        guard !inBlob, header.isEmpty else { throw .truncated }
    }

    private mutating func beginRecord(_ handle: (BlobBatchEvent) throws -> Void) throws {
        guard blobCount < maxBlobs else { throw BlobBatchFramingError.tooManyBlobs(limit: maxBlobs) }
        // Always 32 bytes here, so the id always parses.
        guard let id = BlobID(bytes: header[0..<BlobID.byteCount]) else { throw BlobBatchFramingError.truncated }
        let length = header[BlobID.byteCount...].reduce(Int64(0)) { $0 << 8 | Int64($1) }
        guard length <= maxBlobBytes else { throw BlobBatchFramingError.blobTooLarge(limit: maxBlobBytes) }
        header.removeAll(keepingCapacity: true)
        blobCount += 1
        try handle(.begin(id: id, length: length))
        if length == 0 {
            try handle(.end)
        } else {
            inBlob = true
            remaining = length
        }
    }
}
