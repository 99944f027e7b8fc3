import HTTPTypes

/// A final response: status, header fields, the body as a stream, and for HTTPS the server's
/// certificate fingerprint.
///
/// Read the body to its end (or drop the response) promptly: until then the connection is
/// held, counting against the host's connection limit.
public struct HTTPClientResponse: Sendable {
    /// Status code and reason phrase.
    public var status: HTTPResponse.Status
    /// The header fields in the order received.
    public var headerFields: HTTPFields
    /// The body, read from the socket as it is consumed.
    public var body: HTTPClientResponseBody
    /// SHA-256 of the server's leaf certificate (DER) for HTTPS, to show and pin on first use.
    public var peerCertificateSHA256: [UInt8]?
}

/// A response body: an async sequence of byte chunks read from the connection only as fast as
/// they are consumed (back-pressure), so a body of any size is never held in memory whole.
///
/// It can be iterated once. A body cut short throws `HTTPClientError.connectionClosed`; a
/// broken chunked framing `.malformedResponse`; a stall `.readTimeout`; cancellation of the
/// reading task `.cancelled` (and closes the connection).
public struct HTTPClientResponseBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    public typealias Failure = HTTPClientError

    let reader: HTTPClientBodyReader
    /// The Content-Length of the body, or nil when the length is not announced (chunked, or
    /// delimited by the server closing the connection). 0 for a body-less response.
    public let expectedLength: Int64?

    /// An iterator over the chunks; a body can be iterated once.
    public func makeAsyncIterator() -> Iterator {
        Iterator(reader: reader)
    }

    /// Reads the chunks in order.
    public struct Iterator: AsyncIteratorProtocol {
        let reader: HTTPClientBodyReader

        /// The next chunk, nil at the end.
        public mutating func next() async throws(HTTPClientError) -> [UInt8]? {
            try await reader.next()
        }

        /// The next chunk, nil at the end (AsyncIteratorProtocol with typed throws).
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(HTTPClientError) -> [UInt8]? {
            try await reader.next()
        }
    }

    /// Reads the next body bytes straight into `target` (no array in between; for a caller
    /// with a buffer of its own): at least one, at most `target.count`; 0 at the end. Fails
    /// like iterating the body does.
    public func read(into target: UnsafeMutableRawBufferPointer) async throws(HTTPClientError) -> Int {
        try await reader.read(into: target)
    }

    /// Reads the whole body into memory; throws `.bodyTooLarge` as soon as it is known to
    /// exceed `maxBytes`, before reading anything when the Content-Length says so (the
    /// connection is then closed rather than drained).
    public func collect(upTo maxBytes: Int) async throws(HTTPClientError) -> [UInt8] {
        if let expectedLength, expectedLength > Int64(maxBytes) {
            reader.abandon(with: .bodyTooLarge(limit: maxBytes))
            throw .bodyTooLarge(limit: maxBytes)
        }
        var collected: [UInt8] = []
        if let expectedLength { collected.reserveCapacity(Int(expectedLength)) }
        while let chunk = try await reader.next() {
            guard collected.count + chunk.count <= maxBytes else {
                reader.abandon(with: .bodyTooLarge(limit: maxBytes))
                throw .bodyTooLarge(limit: maxBytes)
            }
            collected.append(contentsOf: chunk)
        }
        return collected
    }
}
