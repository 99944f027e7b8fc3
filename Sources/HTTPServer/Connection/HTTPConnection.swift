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
    var interest: EpollInstance.Events = .readable
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

    /// Handles readiness reported by epoll.
    func handle(_ events: EpollInstance.Events) {
        let readable = events.contains(.readable)
        let writable = events.contains(.writable)
        if (writable && !writeBlockedOnRead) || (readable && writeBlockedOnRead) {
            flushOutput()
        }
        // A readable event that delivered bytes (usually the request that started the handler)
        // was wanted: only one that arrives while no input is wanted drops EPOLLIN (see
        // `updateInterest`), so a request/response exchange costs no epoll_ctl.
        var unusedReadable = readable
        if phase != .closed && ((readable && !readBlockedOnWrite) || (writable && readBlockedOnWrite)) {
            if readAvailable() { unusedReadable = false }
        }
        if phase != .closed && !events.isDisjoint(with: [.error, .hangUp]) && !readable {
            // The peer reset or fully closed the connection: nothing can be delivered.
            close()
            return
        }
        updateInterest(droppingUnwantedReads: unusedReadable)
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

    /// Reads what the transport has and processes it. Plain sockets read once per readiness
    /// event (level-triggered epoll reports the rest); TLS reads until it would block, since
    /// decrypted bytes can wait inside OpenSSL without the socket being readable. Returns
    /// whether the transport was read at all.
    @discardableResult
    func readAvailable() -> Bool {
        var reads = 0
        while phase != .closed && wantsInput && reads < 16 {
            reads += 1
            let result: TransportResult
            var bodyChunk: [UInt8]?
            if let size = directBodyReadSize {
                (result, bodyChunk) = readBodyChunk(size)
            } else {
                result = transport.read(into: loop.readBuffer)
            }
            switch result {
            case .done(let count):
                readBlockedOnWrite = false
                context.metrics.recordReceived(count)
                if let bodyChunk {
                    deliverBody(bodyChunk)
                } else {
                    consume(UnsafeRawBufferPointer(rebasing: loop.readBuffer[0..<count]))
                }
                if !transport.isEncrypted { return true }
            case .wantRead:
                readBlockedOnWrite = false
                return true
            case .wantWrite:
                readBlockedOnWrite = true
                return true
            case .closed:
                peerClosedInput()
                return true
            case .failed(let text):
                context.logger.debug("connection read failed", metadata: ["error": "\(text)"])
                close()
                return true
            }
        }
        return reads > 0
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

    /// Registers for the readiness the connection can use now.
    ///
    /// EPOLLIN is dropped lazily: a connection waiting for its handler keeps it until a
    /// readable event it cannot use arrives (`droppingUnwantedReads`). Clients that wait for the
    /// response (nearly all) then cost no epoll_ctl per request; a pipelining or paused client
    /// costs one extra wake-up.
    func updateInterest(droppingUnwantedReads: Bool = false) {
        guard phase != .closed else { return }
        var events: EpollInstance.Events = []
        if (wantsInput && !readBlockedOnWrite) || writeBlockedOnRead {
            events.insert(.readable)
        } else if interest.contains(.readable) && !droppingUnwantedReads {
            events.insert(.readable)
        }
        if (output.hasPending && !writeBlockedOnRead) || readBlockedOnWrite { events.insert(.writable) }
        guard events != interest else { return }
        interest = events
        if !loop.updateInterest(self, events: events) { close() }
    }

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
                if now &- lastProgressAt >= context.writeProgressTimeout { close() }
            } else if wantsInput, now &- lastProgressAt >= context.bodyReadIdleTimeout {
                body = .abandoned
                exchange?.keepAlive = false
                bodyChannel?.fail(.bodyReadTimeout)
                updateInterest()
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
        if inputClosed { close() }
    }
}
