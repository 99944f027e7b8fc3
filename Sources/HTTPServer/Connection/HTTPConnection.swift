import HTTPTypes
import Logging

/// One client connection, owned by the event loop that accepted it and touched only on that
/// loop's thread.
///
/// State machine (docs/http-server.md): `idle` (between requests) → `readingHead` (first byte
/// of a head seen; header timer runs) → `handling` (handler running, body streaming, response
/// being written) → `idle` again with keep-alive, or `lingering` (response sent, write side
/// shut, discarding input until the client closes) → `closed`.
final class HTTPConnection {
    enum Phase {
        case idle
        case readingHead
        case handling
        case lingering
        case closed
    }

    /// Where the current request body stands.
    enum BodyState {
        /// No body, or all of it received.
        case complete
        /// This many Content-Length bytes still to read.
        case remaining(Int64)
        /// A chunked body being decoded.
        case chunked(HTTPChunkedDecoder)
        /// Reading stopped (the handler answered without reading, or the body failed); the
        /// connection closes after the response.
        case abandoned
    }

    /// The owning loop (strong: the loop drops the connection from its table when it closes,
    /// which breaks the cycle).
    let loop: EventLoop
    let transport: any ConnectionTransport
    let descriptor: Int32
    let remoteAddress: HTTPRemoteAddress
    var phase = Phase.idle
    var parser: HTTPRequestHeadParser
    /// Received bytes not consumed yet (a partial body run or pipelined requests), from
    /// `inboundStart` on.
    var inbound: [UInt8] = []
    var inboundStart = 0
    /// True while `process` runs, so nested completions do not re-enter it.
    var isProcessing = false
    /// The client closed its sending side (EOF): nothing more to read.
    var inputClosed = false
    var readBlockedOnWrite = false
    var writeBlockedOnRead = false
    /// A read may return bytes without a new EPOLLIN: set by each readable event, cleared by a
    /// read that drained the socket (EAGAIN, a short plain read, or OpenSSL's want-read). The
    /// registration is edge-triggered, so bytes left unread while no input was wanted are only
    /// remembered here (`resumeReading`).
    var mayBeReadable = false
    /// EPOLLRDHUP was reported: a FIN waits behind the bytes, so a short read no longer means
    /// the socket is drained (the end of input must still be read, and no new event says so).
    var peerShutWrite = false
    /// Loop time the phase's clock started: idle since, head started, last body or write progress.
    var phaseStartedAt: UInt64
    var lastProgressAt: UInt64 = 0
    var lingeredBytes = 0
    var shutdownRequested = false

    // Current request.
    var serial: UInt64 = 0
    var requestCount = 0
    var exchange: HTTPExchange?
    var body = BodyState.complete
    var bodyChannel: RequestBodyChannel?
    var bodyWaitsForDemand = false
    var bodyReceived: Int64 = 0
    var bodyLimit: Int64 = 0

    // Current response.
    var output = OutputQueue()
    var streaming: StreamingResponse?

    init(loop: EventLoop, transport: any ConnectionTransport, remoteAddress: HTTPRemoteAddress) {
        self.loop = loop
        self.transport = transport
        self.descriptor = transport.fileDescriptor
        self.remoteAddress = remoteAddress
        self.parser = HTTPRequestHeadParser(limits: loop.context.headLimits)
        self.phaseStartedAt = loop.now
    }

    var context: ServerContext { loop.context }

    // MARK: Events

    /// Handles readiness reported by epoll (edge-triggered: each event is new readiness, and
    /// whatever is not used now is not reported again).
    func handle(_ events: EpollInstance.Events) {
        let readable = events.contains(.readable)
        let writable = events.contains(.writable)
        if readable { mayBeReadable = true }
        if events.contains(.peerShutWrite) { peerShutWrite = true }
        if output.hasPending && ((writable && !writeBlockedOnRead) || (readable && writeBlockedOnRead)) {
            flushOutput()
        }
        if phase != .closed && ((mayBeReadable && !readBlockedOnWrite) || (writable && readBlockedOnWrite)) {
            readAvailable()
        }
        if phase != .closed && !events.isDisjoint(with: [.error, .hangUp]) {
            // epoll_ctl(2): EPOLLERR and EPOLLHUP are always reported. What was readable has
            // been read above; after a reset or a close of both directions nothing more can be
            // delivered, also to a connection whose handler is still running (a long poll).
            close()
        }
    }

    /// Whether the connection needs input now.
    var wantsInput: Bool {
        if inputClosed { return false }
        switch phase {
        case .idle, .readingHead, .lingering:
            return true
        case .handling:
            switch body {
            case .remaining, .chunked: return !bodyWaitsForDemand && inboundStart >= inbound.count
            case .complete, .abandoned: return false
            }
        case .closed:
            return false
        }
    }

    /// Reads per readiness event before the connection yields the loop to the others.
    static let readsPerEvent = 16

    /// Reads what the transport has and processes it, while input is wanted, until the socket
    /// is drained: EAGAIN, or for a plain socket a read shorter than asked (the rest of the
    /// stream arrives with a new EPOLLIN, epoll(7) edge-triggered), or for TLS OpenSSL's
    /// want-read (decrypted bytes can wait inside OpenSSL without the socket being readable).
    /// After `readsPerEvent` reads the loop comes back to it after its other connections.
    func readAvailable() {
        var reads = 0
        while phase != .closed && wantsInput {
            guard reads < Self.readsPerEvent else {
                loop.readAgainLater(self)
                return
            }
            reads += 1
            let result: TransportResult
            var bodyChunk: [UInt8]?
            var filledBody = false
            let asked: Int
            switch nextDirectBodyRead() {
            case .chunk(let size):
                asked = size
                (result, bodyChunk) = readBodyChunk(size)
            case .fill(let space):
                asked = space.count
                result = transport.read(into: space)
                filledBody = true
            case .pause:
                continue
            case nil:
                asked = loop.readBuffer.count
                result = transport.read(into: loop.readBuffer)
            }
            switch result {
            case .done(let count):
                readBlockedOnWrite = false
                let drained = count < asked && !transport.isEncrypted && !peerShutWrite
                if drained { mayBeReadable = false }
                context.metrics.recordReceived(count)
                if filledBody {
                    bodyFilled(count)
                } else if let bodyChunk {
                    deliverBody(bodyChunk)
                } else {
                    consume(UnsafeRawBufferPointer(rebasing: loop.readBuffer[0..<count]))
                }
                if drained { return }
            case .wantRead:
                readBlockedOnWrite = false
                mayBeReadable = false
                return
            case .wantWrite:
                // The transport must write first. Edge-triggered, EPOLLOUT comes only if a
                // write met a full socket; when the socket has room now, the read is retried
                // at once instead (the transport may hold bytes it already took off the socket).
                if SystemCall.isWritableNow(descriptor) { continue }
                // The next EPOLLOUT resumes the read (`handle`).
                readBlockedOnWrite = true
                mayBeReadable = false
                return
            case .closed:
                mayBeReadable = false
                peerClosedInput()
                return
            case .failed(let text):
                context.logger.debug("connection read failed", metadata: ["error": "\(text)"])
                close()
                return
            }
        }
    }

    /// Reads what arrived while no input was wanted, now that it is (the next request after a
    /// response, a paused body resumed, lingering): edge-triggered epoll reported it once,
    /// then. Not from inside `process`, whose bytes are in the loop's read buffer: the read
    /// loop that called it carries on by itself.
    func resumeReading() {
        guard mayBeReadable, !readBlockedOnWrite, !isProcessing, phase != .closed, wantsInput else { return }
        readAvailable()
    }

    /// Processes freshly read bytes, in place when nothing is pending, keeping what is left.
    private func consume(_ bytes: UnsafeRawBufferPointer) {
        if inboundStart < inbound.count {
            inbound.append(contentsOf: bytes)
            processInbound()
            return
        }
        isProcessing = true
        let used = process(bytes)
        isProcessing = false
        if used < bytes.count && phase != .closed && phase != .lingering {
            inbound.removeAll(keepingCapacity: inbound.capacity <= 2048)
            inboundStart = 0
            inbound.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[used...]))
        }
        processInbound()
    }

    /// Processes pending inbound bytes (pipelined requests, buffered body) as far as the state
    /// allows.
    func processInbound() {
        guard !isProcessing else { return }
        while inboundStart < inbound.count && phase != .closed {
            isProcessing = true
            let pending = inbound
            let used = pending.withUnsafeBytes { process(UnsafeRawBufferPointer(rebasing: $0[inboundStart...])) }
            isProcessing = false
            guard used > 0 else { break }
            inboundStart += used
        }
        if inboundStart >= inbound.count {
            // Idle connections keep at most a small buffer (memory per idle connection).
            if !inbound.isEmpty { inbound.removeAll(keepingCapacity: inbound.capacity <= 2048) }
            inboundStart = 0
        }
    }

    /// The client closed its side (EOF).
    private func peerClosedInput() {
        inputClosed = true
        switch phase {
        case .idle, .readingHead, .lingering, .closed:
            close()
        case .handling:
            switch body {
            case .remaining, .chunked:
                body = .abandoned
                bodyChannel?.fail(.bodyTruncated)
            case .complete, .abandoned:
                break
            }
            exchange?.keepAlive = false
        }
    }

    // MARK: Interest, timeouts, closing

    /// Time without write progress after which the timer tick writes again by itself.
    static let stalledWriteRetry: UInt64 = 100_000_000

    /// Applies the timeout of the current phase (called on the loop's timer tick).
    func checkTimeouts() {
        let now = loop.now
        switch phase {
        case .idle:
            if now &- phaseStartedAt >= context.keepAliveIdleTimeout { close() }
        case .readingHead:
            // Slowloris: the whole head must arrive within the header-read timeout.
            if now &- phaseStartedAt >= context.headerReadTimeout { fail(with: .headerReadTimeout) }
        case .handling:
            if output.hasPending {
                if now &- lastProgressAt >= context.writeProgressTimeout {
                    close()
                } else if now &- lastProgressAt >= Self.stalledWriteRetry {
                    // No progress for a tick: write again once. A file that ended before its
                    // length (a short sendfile that waits for an EPOLLOUT that never comes)
                    // then fails and closes; a socket still full answers EAGAIN.
                    flushOutput()
                }
            } else if wantsInput, now &- lastProgressAt >= context.bodyReadIdleTimeout {
                body = .abandoned
                exchange?.keepAlive = false
                bodyChannel?.fail(.bodyReadTimeout)
            }
        case .lingering:
            if now &- phaseStartedAt >= context.lingerTimeout { close() }
        case .closed:
            break
        }
    }

    /// Server shutdown: idle connections close now, busy ones after their response.
    func beginShutdown() {
        shutdownRequested = true
        if phase == .idle && inboundStart >= inbound.count { close() }
    }

    /// Closes at once: releases the descriptor, fails a waiting body consumer or writer.
    func close() {
        guard phase != .closed else { return }
        let bodyIncomplete: Bool
        switch body {
        case .remaining, .chunked: bodyIncomplete = true
        case .complete, .abandoned: bodyIncomplete = false
        }
        phase = .closed
        loop.unregister(self)
        transport.close()
        bodyChannel?.fail(bodyIncomplete ? .bodyTruncated : .connectionClosed)
        bodyChannel = nil
        streaming?.abort()
        streaming = nil
        output.discard()
        inbound = []
        exchange = nil
    }

    /// Starts the staged close of RFC 9112 §9.6: the response is out; shut the write side and
    /// read until the client closes, so it is not reset before reading the response.
    func beginLingering() {
        transport.shutdown()
        phase = .lingering
        phaseStartedAt = loop.now
        inbound = []
        inboundStart = 0
        if inputClosed {
            close()
            return
        }
        // Input that arrived during the response is read (and discarded) now.
        resumeReading()
    }
}
