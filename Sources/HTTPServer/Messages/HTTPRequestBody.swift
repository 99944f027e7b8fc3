import Synchronization

/// A request body: an async sequence of byte chunks, read from the socket only as fast as it
/// is consumed (back-pressure), so a body of any size is never held in memory whole.
///
/// It can be iterated once. A body that ends early because the client disconnected throws
/// `HTTPServerError.bodyTruncated`; a chunked body beyond the route's limit throws
/// `.contentTooLarge` (answered with 413 when the handler lets it propagate).
public struct HTTPRequestBody: AsyncSequence, Sendable {
    /// A run of body bytes, in order.
    public typealias Element = [UInt8]

    let channel: RequestBodyChannel?
    /// The whole body when it was given in memory (`bytes(_:)`) rather than read from a socket.
    let inMemory: [UInt8]?
    /// The Content-Length of the body (0 when there is none), or nil for a chunked body.
    public let expectedLength: Int64?

    /// Where `fill` stands in `inMemory`.
    let memoryCursor: InMemoryBodyCursor?

    init(channel: RequestBodyChannel?, expectedLength: Int64?, inMemory: [UInt8]? = nil) {
        self.channel = channel
        self.expectedLength = expectedLength
        self.inMemory = inMemory
        memoryCursor = inMemory.map { InMemoryBodyCursor($0) }
    }

    /// A body with no bytes.
    public static let empty = HTTPRequestBody(channel: nil, expectedLength: 0)

    /// A body already in memory, delivered as one chunk: for calling a responder directly
    /// (in-process clients, tests) without a connection.
    public static func bytes(_ bytes: [UInt8]) -> HTTPRequestBody {
        HTTPRequestBody(channel: nil, expectedLength: Int64(bytes.count), inMemory: bytes.isEmpty ? nil : bytes)
    }

    /// An iterator over the chunks; a body can be iterated once.
    public func makeAsyncIterator() -> Iterator {
        Iterator(channel: channel, inMemory: inMemory)
    }

    /// Reads the chunks in order.
    public struct Iterator: AsyncIteratorProtocol {
        let channel: RequestBodyChannel?
        var inMemory: [UInt8]?

        /// The next chunk, nil at the end; throws when the body cannot be completed.
        public mutating func next() async throws -> [UInt8]? {
            if let bytes = inMemory {
                inMemory = nil
                return bytes
            }
            guard let channel else { return nil }
            return try await channel.next()
        }
    }

    /// Reads the next body bytes straight into `buffer` and returns how many it placed from its
    /// start: `buffer.count` unless the body ended first (0 once it has). Throws as iteration
    /// does. The event loop reads the socket into `buffer` itself, without the copy of an
    /// intermediate array (docs/http-server.md, "Request bodies"): for consumers that need the
    /// bytes in memory of their own, such as aligned buffers for direct I/O. `buffer` must stay
    /// allocated and untouched until this returns. One call at a time; iterating after fills
    /// goes on from where they stopped (an in-memory body is read by each way on its own).
    public func fill(_ buffer: UnsafeMutableRawBufferPointer) async throws -> Int {
        if let memoryCursor { return memoryCursor.copy(into: buffer) }
        guard let channel else { return 0 }
        return try await channel.fill(buffer)
    }

    /// Gives back chunks of this body that the caller is done with, to be read into again: a
    /// large body streamed this way reuses a few arrays instead of allocating one per socket
    /// read (docs/http-server.md, "Request bodies"). Pass the last references (`consume`): an
    /// array still held elsewhere is copied before it is written, never overwritten. Optional;
    /// does nothing for an in-memory body or once the body has ended.
    public func recycle(_ chunks: consuming [[UInt8]]) {
        channel?.recycle(chunks)
    }

    /// Reads the whole body into memory, failing with `HTTPServerError.contentTooLarge` (413)
    /// as soon as it is known to exceed `maxBytes` — before reading anything when the
    /// Content-Length says so.
    public func collect(upTo maxBytes: Int) async throws -> [UInt8] {
        if let expectedLength, expectedLength > Int64(maxBytes) {
            throw HTTPServerError.contentTooLarge(limit: Int64(maxBytes))
        }
        var collected: [UInt8] = []
        if let expectedLength { collected.reserveCapacity(Int(expectedLength)) }
        for try await chunk in self {
            guard collected.count + chunk.count <= maxBytes else {
                throw HTTPServerError.contentTooLarge(limit: Int64(maxBytes))
            }
            collected.append(contentsOf: chunk)
        }
        return collected
    }
}

/// How far `HTTPRequestBody.fill` has read an in-memory body.
final class InMemoryBodyCursor: Sendable {
    private let bytes: [UInt8]
    private let offset = Mutex(0)

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Copies the next bytes into `buffer`; returns how many.
    func copy(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        offset.withLock { offset in
            let count = min(buffer.count, bytes.count - offset)
            guard count > 0 else { return 0 }
            bytes.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count)]))
            }
            offset += count
            return count
        }
    }
}
