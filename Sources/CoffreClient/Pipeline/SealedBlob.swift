/// One sealed chunk as `FileSealer` hands it to its sink: the blob bytes to upload under
/// `reference.blobID`, borrowed from the sealer's reusable buffer.
///
/// Non-copyable and borrowed: the bytes are valid only during the sink call. A sink that keeps
/// a blob (to batch uploads) copies it with `copyBytes()`.
public struct SealedBlob: ~Copyable {
    /// Position of the chunk in the file (0, 1, 2...).
    public let index: Int
    /// Offset of the chunk's plaintext in the file (for progress reports).
    public let plaintextOffset: UInt64
    /// Blob id, chunk key and plaintext length: the chunk's manifest entry.
    public let reference: ChunkReference
    /// The chunk is one of the run's `KnownChunks`: it was not sealed and has no bytes here;
    /// the server holds its blob.
    public let isKnown: Bool
    private let bytes: UnsafeRawBufferPointer

    init(index: Int, plaintextOffset: UInt64, reference: ChunkReference, isKnown: Bool, bytes: UnsafeRawBufferPointer) {
        self.index = index
        self.plaintextOffset = plaintextOffset
        self.reference = reference
        self.isKnown = isKnown
        self.bytes = bytes
    }

    /// SHA-256 of the blob, the id the server stores it under.
    public var blobID: [UInt8] { reference.blobID }

    /// Size of the blob in bytes (0 for a known chunk).
    public var byteCount: Int { bytes.count }

    /// Reads the blob in place. The pointer must not escape `body`.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(bytes)
    }

    /// A copy of the blob that outlives the sink call.
    public func copyBytes() -> [UInt8] {
        Array(bytes)
    }

    /// Replaces the contents of `storage` with the blob, reusing its memory when `storage` is
    /// its memory's only owner and large enough (`BlobCopyPool`).
    func copyBytes(into storage: inout [UInt8]) {
        storage.removeAll(keepingCapacity: true)
        storage.append(contentsOf: bytes)
    }
}

/// What `FileSealer` made of one file: its manifest and its size.
public struct SealedFile: Sendable {
    /// The chunks in file order (an empty file has none).
    public let chunks: [ChunkReference]
    /// Total plaintext bytes: the sum of the chunk lengths.
    public let byteCount: UInt64
}
