/// Where one chunk lies in its input.
public struct Chunk: Sendable, Hashable {
    /// Offset of the chunk's first byte from the start of the input.
    public let offset: Int
    /// Length in bytes; at least 1.
    public let length: Int

    /// Offset just past the chunk's last byte (its cut point).
    public var end: Int { offset + length }

    /// A chunk of `length` bytes at `offset`.
    public init(offset: Int, length: Int) {
        self.offset = offset
        self.length = length
    }
}

/// Cuts a byte stream into the same chunks as `Chunker.cutPoints(in:)` on the whole input, in
/// constant memory: one window of `maximumChunkSize + readWindow` bytes (3 MiB), allocated once
/// and reused for every stream this instance reads. Each chunk is handed over in place, without
/// a copy, so the next stage (HMAC, AES-GCM, SHA-256) reads it from the window.
///
/// Owns its window; not thread-safe: use one instance per thread.
public final class StreamingChunker {
    /// Bytes of the window beyond one maximum-size chunk. Every read is offered at least this
    /// much space: when less is free, the pending bytes move to the window's start first.
    public static let readWindow = 1024 * 1024

    /// The chunker whose key and sizes decide the cut points.
    public let chunker: Chunker
    private let window: UnsafeMutableRawPointer
    private let capacity: Int
    private var isReading = false

    /// A streaming chunker for `chunker`'s key, with its own window.
    public init(chunker: Chunker) {
        self.chunker = chunker
        capacity = chunker.parameters.maximumSize + Self.readWindow
        window = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    }

    deinit { window.deallocate() }

    /// Reads `source` to its end and calls `body` once per chunk, in order. The buffer passed to
    /// `body` lies in this instance's window and is valid only during that call: hash or encrypt
    /// it there, copy it if it must outlive the call. An empty source gives no call.
    ///
    /// Errors from `source` or `body` stop the stream and are rethrown; a source that reports
    /// more bytes than asked, or a negative count, throws `ChunkingError.invalidReadCount`.
    /// Must not be called again from inside `body`.
    public func forEachChunk(
        of source: inout some ByteSource,
        _ body: (Chunk, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        precondition(!isReading, "StreamingChunker.forEachChunk is not reentrant")
        isReading = true
        defer { isReading = false }

        // Window layout: [chunkStart, end) holds read bytes not yet handed over.
        var chunkStart = 0
        var end = 0
        var streamOffset = 0
        var atEnd = false
        var state = ScanState(parameters: chunker.parameters)
        while true {
            let available = end - chunkStart
            let start = UnsafeRawPointer(window + chunkStart)
            if let length = chunker.nextChunkLength(at: start, available: available, atEnd: atEnd, state: &state) {
                guard length > 0 else { return }
                try body(Chunk(offset: streamOffset, length: length), UnsafeRawBufferPointer(start: start, count: length))
                chunkStart += length
                streamOffset += length
                state = ScanState(parameters: chunker.parameters)
                continue
            }
            // Undecided means fewer than maximumSize bytes are pending, so after compaction at
            // least `readWindow` bytes are free.
            if capacity - end < Self.readWindow {
                window.copyMemory(from: start, byteCount: available)
                chunkStart = 0
                end = available
            }
            let requested = capacity - end
            let count = try source.read(into: UnsafeMutableRawBufferPointer(start: window + end, count: requested))
            guard count >= 0, count <= requested else {
                throw ChunkingError.invalidReadCount(returned: count, requested: requested)
            }
            if count == 0 { atEnd = true } else { end += count }
        }
    }
}
