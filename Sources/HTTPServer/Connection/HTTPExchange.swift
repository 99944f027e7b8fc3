import HTTPTypes

/// The request being served on a connection, and what its response must respect.
struct HTTPExchange {
    var method: HTTPRequest.Method
    var minorVersion: Int
    /// Whether the connection may serve another request after this one.
    var keepAlive: Bool
    /// Loop time the head was complete.
    var startedAt: UInt64
    var routePattern: String?
    /// `Expect: 100-continue` was received; `continueSent` once it was answered.
    var expectContinue: Bool
    var continueSent = false
    var responseStarted = false
    /// Every byte of the response is queued (head, and the whole body or the stream's end).
    var responseQueued = false
    var status = 0

    var isHead: Bool { method == .head }

    /// A stand-in for a request whose head could not be parsed (for metrics and the log).
    static func unparsed(at now: UInt64) -> HTTPExchange {
        HTTPExchange(
            method: HTTPRequest.Method("-") ?? .get, minorVersion: 1, keepAlive: false, startedAt: now,
            routePattern: nil, expectContinue: false)
    }
}

/// A `.stream` response in progress.
struct StreamingResponse {
    /// Each write is framed as a chunk (RFC 9112 §7.1).
    var chunked: Bool
    var declaredLength: Int64?
    var written: Int64 = 0
    var ended = false
    /// The writer suspended until the queue drains below the high-water mark.
    var waitingWriter: UnsafeContinuation<Void, any Error>?

    /// Fails a waiting writer: the connection is gone.
    mutating func abort() {
        waitingWriter?.resume(throwing: HTTPServerError.connectionClosed)
        waitingWriter = nil
    }
}
