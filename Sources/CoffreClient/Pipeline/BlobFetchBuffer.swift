import CoffreCrypto
/// Where a `FileOpener` fetcher puts one blob: a bounded, borrowed window of the opener's
/// reusable chunk buffer. Writing past the largest possible blob throws, so a hostile server
/// cannot make the client buffer more than that.
public struct BlobFetchBuffer: ~Copyable {
    private let storage: UnsafeMutableRawBufferPointer
    /// Position of the chunk being fetched, for error messages.
    public let chunkIndex: Int
    /// Bytes written so far.
    public private(set) var count = 0

    init(storage: UnsafeMutableRawBufferPointer, chunkIndex: Int) {
        self.storage = storage
        self.chunkIndex = chunkIndex
    }

    /// The most bytes a blob may have (a sealed 4 MiB chunk).
    public var capacity: Int { storage.count }

    /// Appends `bytes`; throws `PipelineError.blobTooLarge` (and appends nothing) when they
    /// do not fit.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) throws(PipelineError) {
        guard bytes.count <= capacity - count else { throw .blobTooLarge(index: chunkIndex, limit: capacity) }
        if !bytes.isEmpty {
            UnsafeMutableRawBufferPointer(rebasing: storage[count..<(count + bytes.count)]).copyMemory(from: bytes)
        }
        count += bytes.count
    }

    /// Appends the bytes of an array.
    public mutating func append(_ bytes: [UInt8]) throws(PipelineError) {
        try ByteAccess.with(bytes) { (raw: UnsafeRawBufferPointer) throws(PipelineError) in try append(raw) }
    }

    /// Lets `body` write straight into the free space (for example one read from a socket)
    /// and appends the count it returns, which must lie in `0...space.count` (a larger count is
    /// a programming error and traps). Throws `PipelineError.blobTooLarge` when the buffer is
    /// already full, and rethrows `body`'s errors.
    public mutating func append(_ body: (UnsafeMutableRawBufferPointer) async throws -> Int) async throws -> Int {
        guard count < capacity else { throw PipelineError.blobTooLarge(index: chunkIndex, limit: capacity) }
        let space = UnsafeMutableRawBufferPointer(rebasing: storage[count...])
        let written = try await body(space)
        precondition(written >= 0 && written <= space.count, "BlobFetchBuffer.append: count outside the space offered")
        count += written
        return written
    }

    /// Forgets what was written, to retry a fetch from the start.
    public mutating func removeAll() {
        count = 0
    }
}
