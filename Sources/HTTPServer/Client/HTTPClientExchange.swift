import Synchronization

/// One request written on one connection, up to the final response head: the head, the
/// 100-continue wait, the body (watching for an early response while the socket is full),
/// then interim responses skipped.
///
/// `@unchecked Sendable`: the exchange belongs to the request's task; the only other user is
/// the body producer's `HTTPClientBodyWriter`, whose calls are serialized by `writerBusy`
/// (a second concurrent call is refused) and refused once the producer returned.
final class HTTPClientExchange: @unchecked Sendable {
    /// The final response head and whether the whole request body went out.
    struct Outcome {
        let head: HTTPResponseHead
        let requestComplete: Bool
    }

    /// Thrown by the body writer once the server has answered: the producer should stop.
    struct ResponseArrivedEarly: Error {}

    /// Interim (1xx) responses accepted before the final one.
    static let maxInterimResponses = 16

    let request: HTTPClientPreparedRequest
    let connection: HTTPClientConnection
    private let writeTimeout: UInt64
    private let continueTimeout: UInt64
    private var parser: HTTPResponseHeadParser
    /// True once any response byte arrived: a failure after that is never retried.
    private(set) var responseStarted = false
    /// True once the body started going out (a producer has been called).
    private(set) var bodyStarted = false
    /// A final response that arrived while the body was being sent.
    private var earlyHead: HTTPResponseHead?
    private var bodyBytesSent: Int64 = 0
    private var chunkStarted = false
    /// A write found the connection closed (EPIPE, reset): the response may still be there.
    private var peerClosedDuringWrite = false
    private var interimCount = 0
    private let writerBusy = Atomic<Bool>(false)
    private let writerClosed = Atomic<Bool>(false)

    init(request: HTTPClientPreparedRequest, connection: HTTPClientConnection, configuration: HTTPClientConfiguration) {
        self.request = request
        self.connection = connection
        self.writeTimeout = SystemCall.nanoseconds(configuration.writeIdleTimeout)
        self.continueTimeout = SystemCall.nanoseconds(configuration.expectContinueTimeout)
        self.parser = HTTPResponseHeadParser(
            limits: .init(maxHeadBytes: configuration.maxResponseHeadBytes, maxHeaderCount: configuration.maxResponseHeaderCount))
    }

    /// Sends the request (with `Expect: 100-continue` when `expectContinue` and the request
    /// has one) and reads up to the final response head.
    func run(expectContinue: Bool) async throws -> Outcome {
        if expectContinue, let head = request.headExpectingContinue {
            try await writeWhole(head, watching: false)
            // RFC 9110 §10.1.1: a client that sent 100-continue need not wait for an indefinite
            // period before sending the content; a final status first means: do not send it.
            let deadline = SystemCall.monotonicNanoseconds() + continueTimeout
            while let interim = try await readHead(fixedDeadline: deadline) {
                if interim.statusCode == 100 { break }
                if !interim.isInterim { return Outcome(head: interim, requestComplete: false) }
            }
            try await sendBody(headSent: true)
        } else {
            try await sendBody(headSent: false)
        }
        if let earlyHead { return Outcome(head: earlyHead, requestComplete: false) }
        return Outcome(head: try await readFinalHead(), requestComplete: true)
    }

    /// Writes the body; a failed write still looks for the response the server may have sent
    /// before closing (a 413 while the body was still going out, RFC 9112 §9.5).
    private func sendBody(headSent: Bool) async throws {
        bodyStarted = true
        do {
            switch request.body {
            case .none:
                if !headSent { try await writeWhole(request.head, watching: false) }
            case .bytes(let bytes):
                if headSent {
                    try await writeWhole(bytes, watching: true)
                } else if bytes.count <= 64 * 1024 {
                    // One write for head and a small body.
                    try await writeWhole(request.head + bytes, watching: true)
                } else {
                    try await writeWhole(request.head, watching: false)
                    try await writeWhole(bytes, watching: true)
                }
            case .stream(_, let producer):
                if !headSent { try await writeWhole(request.head, watching: false) }
                try await runProducer(producer)
            }
        } catch {
            // The server may have answered and closed while the request was going out (a 413
            // for a body too large): read its answer, or fail with `.connectionClosed`.
            guard peerClosedDuringWrite, earlyHead == nil else { throw error }
            earlyHead = try await readFinalHead()
        }
    }

    private func runProducer(_ producer: @Sendable (HTTPClientBodyWriter) async throws -> Void) async throws {
        do {
            try await producer(HTTPClientBodyWriter(exchange: self))
            writerClosed.store(true, ordering: .releasing)
        } catch {
            writerClosed.store(true, ordering: .releasing)
            // The server's early answer wins over whatever the producer made of the refusal.
            if earlyHead != nil { return }
            throw error
        }
        if earlyHead != nil { return }
        switch request.framing {
        case .chunked:
            // RFC 9112 §7.1: last-chunk, then an empty trailer section.
            try await writeWhole(Array((chunkStarted ? "\r\n0\r\n\r\n" : "0\r\n\r\n").utf8), watching: true)
        case .contentLength(let length) where length != bodyBytesSent:
            throw HTTPClientError.invalidRequest(reason: "body shorter than its declared length")
        case .contentLength, .none:
            break
        }
    }

    /// The body writer's entry point: frames and writes one run of the stream.
    func writeBodyChunk(_ bytes: [UInt8]) async throws {
        guard !writerClosed.load(ordering: .acquiring) else {
            throw HTTPClientError.invalidRequest(reason: "body writer used after its producer returned")
        }
        guard writerBusy.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            throw HTTPClientError.invalidRequest(reason: "body writer used concurrently")
        }
        defer { writerBusy.store(false, ordering: .releasing) }
        if Task.isCancelled { throw HTTPClientError.cancelled }
        if earlyHead != nil { throw ResponseArrivedEarly() }
        guard !bytes.isEmpty else { return }
        switch request.framing {
        case .contentLength(let length):
            guard bodyBytesSent + Int64(bytes.count) <= length else {
                throw HTTPClientError.invalidRequest(reason: "body longer than its declared length")
            }
        case .chunked:
            // RFC 9112 §7.1: chunk = chunk-size CRLF chunk-data CRLF; the CRLF closing the
            // previous chunk travels with the next size line.
            let prefix = (chunkStarted ? "\r\n" : "") + String(bytes.count, radix: 16) + "\r\n"
            chunkStarted = true
            try await writeWhole(Array(prefix.utf8), watching: true)
            if earlyHead != nil { throw ResponseArrivedEarly() }
        case .none:
            throw HTTPClientError.invalidRequest(reason: "body longer than its declared length")
        }
        bodyBytesSent += Int64(bytes.count)
        try await writeWhole(bytes, watching: true)
        if earlyHead != nil { throw ResponseArrivedEarly() }
    }

    /// Writes `bytes`; with `watching`, stops early once a final response has arrived.
    private func writeWhole(_ bytes: [UInt8], watching: Bool) async throws(HTTPClientError) {
        var offset = 0
        while offset < bytes.count && earlyHead == nil {
            let outcome: HTTPClientConnection.WriteOutcome
            do throws(HTTPClientError) {
                outcome = try await connection.write(bytes, from: &offset, watchingForResponse: watching, timeout: writeTimeout)
            } catch .connectionClosed {
                peerClosedDuringWrite = true
                throw .connectionClosed
            }
            guard case .responsePending = outcome else { return }
            try absorbResponseBytes()
        }
    }

    /// Parses what the server sent while the request was being written: interim responses
    /// are skipped, a final one becomes `earlyHead`.
    private func absorbResponseBytes() throws(HTTPClientError) {
        let open = try connection.fillWithoutWaiting()
        while connection.pendingCount > 0 && earlyHead == nil {
            responseStarted = true
            let (used, head) = try parser.parse(connection.pending)
            connection.consume(used)
            guard let head else { continue }
            if head.isInterim { try countInterim(head) } else { earlyHead = head }
        }
        if !open && earlyHead == nil { throw .connectionClosed }
    }

    /// Reads response heads until a final one, skipping 1xx (RFC 9110 §15.2: a client MUST be
    /// able to parse interim responses before the final one, even unexpected ones).
    private func readFinalHead() async throws(HTTPClientError) -> HTTPResponseHead {
        while true {
            guard let head = try await readHead(fixedDeadline: nil) else { throw .readTimeout }
            if !head.isInterim { return head }
        }
    }

    /// Counts an interim response; a server that keeps sending them is refused.
    private func countInterim(_ head: HTTPResponseHead) throws(HTTPClientError) {
        // RFC 9110 §15.2.2: 101 only answers an Upgrade, which this client never sends.
        if head.statusCode == 101 { throw .malformedResponse(reason: "unrequested protocol switch") }
        interimCount += 1
        guard interimCount <= Self.maxInterimResponses else { throw .malformedResponse(reason: "too many interim responses") }
    }

    /// Reads one response head; nil when `fixedDeadline` passes first. Without it, each wait
    /// for bytes may last the request's idle-read timeout.
    private func readHead(fixedDeadline: UInt64?) async throws(HTTPClientError) -> HTTPResponseHead? {
        while true {
            if connection.pendingCount > 0 {
                responseStarted = true
                let (used, head) = try parser.parse(connection.pending)
                connection.consume(used)
                if let head {
                    if head.isInterim { try countInterim(head) }
                    return head
                }
            }
            let deadline = fixedDeadline ?? SystemCall.monotonicNanoseconds() + request.readIdleTimeout
            switch try await connection.fill(deadline: deadline) {
            case .bytes: continue
            case .endOfStream: throw .connectionClosed
            case .timedOut:
                if fixedDeadline != nil { return nil }
                throw .readTimeout
            }
        }
    }
}

/// Writes the body of a `.stream` request. `write` suspends while the socket is behind
/// (back-pressure) and throws once the server has answered early (stop producing then: the
/// client returns that answer), on cancellation, or when the declared length is exceeded.
/// Valid only while the producer runs, from one task at a time.
public struct HTTPClientBodyWriter: Sendable {
    let exchange: HTTPClientExchange

    /// Sends `bytes` as the next part of the body.
    public func write(_ bytes: [UInt8]) async throws {
        try await exchange.writeBodyChunk(bytes)
    }
}
