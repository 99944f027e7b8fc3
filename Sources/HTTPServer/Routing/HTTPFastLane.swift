/// The lean fast lane: answers a plain `GET`/`HEAD` straight from the bytes in the read buffer,
/// before any request object exists.
///
/// For each request whose head is complete in the buffer and plain — origin form, HTTP/1.1,
/// one Host, at most one Authorization, no body, no Range or precondition, no Expect, Upgrade
/// or TE, at most `Connection: close`/`keep-alive` — the connection calls `response(for:)` on
/// its event loop thread. A response is sent at once (status line, Date, its fields, framing,
/// body, in one write); nil sends the same bytes through the full parser and the router, as
/// if there were no fast lane. So the lane must answer exactly what the route would, and only
/// from memory, without blocking.
public protocol HTTPFastLane: Sendable {
    /// The route pattern its answers are logged under (never the raw path).
    var routePattern: String { get }

    /// The answer to `request`, or nil for the router to decide. Runs on an event loop thread:
    /// memory only, no blocking, no waiting.
    func response(for request: HTTPFastLaneRequest) -> HTTPPreparedResponse?
}

/// What the fast lane sees of a request: views into the connection's read buffer, valid only
/// during `HTTPFastLane.response(for:)`.
public struct HTTPFastLaneRequest {
    /// `HEAD` (true) or `GET`.
    public let isHead: Bool
    /// The path, still percent-encoded, without query (a request with one is not offered).
    public let path: UnsafeRawBufferPointer
    /// The value of the only Authorization field, without surrounding whitespace; nil when
    /// there is none (a request with several is not offered).
    public let authorization: UnsafeRawBufferPointer?
}
