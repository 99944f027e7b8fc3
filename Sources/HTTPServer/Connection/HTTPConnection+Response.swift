import CSystemShims
import Glibc
import HTTPTypes
import Logging

extension HTTPConnection {
    static let crlf: [UInt8] = [HTTPByteClass.cr, HTTPByteClass.lf]
    /// Bodies up to this size are copied behind the head so both leave in one write.
    private static let inlineBodyLimit = 16 * 1024

    /// Starts sending the response to request `serial` (ignored if that request is gone).
    func deliver(_ response: HTTPServerResponse, serial: UInt64) {
        guard phase == .handling, serial == self.serial, var exchange, !exchange.responseStarted else {
            if case .file(let region) = response.body { region.close() }
            return
        }
        exchange.responseStarted = true
        lastProgressAt = loop.now
        let status = response.status.code
        exchange.status = status
        var isStream = false
        if case .stream = response.body { isStream = true }
        switch body {
        case .remaining, .chunked:
            // RFC 9110 §10.1.1 / RFC 9112 §9.6: a final response before the body was read
            // (or before 100 Continue was sent) ends the connection; a streaming response may
            // still read the body while it writes.
            if !isStream || (exchange.expectContinue && !exchange.continueSent) {
                abandonBody(failing: .connectionClosed)
                exchange.keepAlive = false
            }
        case .complete, .abandoned:
            break
        }
        if case .abandoned = body { exchange.keepAlive = false }
        if requestCount >= context.configuration.limits.maxRequestsPerConnection || shutdownRequested || inputClosed {
            exchange.keepAlive = false
        }
        // A handler may end the connection with `Connection: close` (RFC 9112 §9.6).
        for field in response.headerFields where field.name == .connection {
            if field.value.lowercased().contains("close") { exchange.keepAlive = false }
        }
        // RFC 9110 §6.4.1: 1xx, 204 and 304 responses have no content.
        let bodyAllowed = status >= 200 && status != 204 && status != 304
        let length = response.body.knownLength
        var chunked = false
        if bodyAllowed && length == nil {
            if exchange.minorVersion >= 1 {
                chunked = true
            } else {
                // RFC 9112 §6.3 rule 8: without a length, closing the connection ends the body.
                exchange.keepAlive = false
            }
        }

        var head: [UInt8] = []
        var inlineBody = 0
        switch response.body {
        case .bytes(let bytes) where bytes.count <= Self.inlineBodyLimit: inlineBody = bytes.count
        case .file(let region) where region.length <= Int64(Self.inlineBodyLimit): inlineBody = Int(region.length)
        default: break
        }
        head.reserveCapacity(160 + response.headerFields.count * 48 + inlineBody)
        Self.appendStatusLine(response.status, to: &head)
        // RFC 9110 §6.6.1: an origin server with a clock sends Date.
        head.append(contentsOf: "Date: ".utf8)
        head.append(contentsOf: loop.currentDate())
        head.append(contentsOf: Self.crlf)
        Self.appendFieldLines(response.headerFields, to: &head)
        if bodyAllowed {
            // RFC 9110 §9.3.2: HEAD gets the same fields as GET, framing included.
            if let length {
                Self.appendContentLength(length, to: &head)
            } else if chunked {
                head.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
            }
        }
        // RFC 9112 §9.6 close option; §9.3 keep-alive announced to an HTTP/1.0 client.
        if !exchange.keepAlive {
            head.append(contentsOf: "Connection: close\r\n".utf8)
        } else if exchange.minorVersion == 0 {
            head.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        head.append(contentsOf: Self.crlf)

        let sendsBody = bodyAllowed && !exchange.isHead
        exchange.responseQueued = true
        switch response.body {
        case .empty:
            output.append(bytes: head)
        case .bytes(let bytes):
            if sendsBody && bytes.count <= Self.inlineBodyLimit {
                head.append(contentsOf: bytes)
                output.append(bytes: head)
            } else {
                output.append(bytes: head)
                if sendsBody { output.append(bytes: bytes) }
            }
        case .file(let region):
            // A small file goes with the head in one send, like a small bytes body: one
            // pread(2) here instead of sendfile(2) and a second segment. A read that fails or
            // comes up short leaves the region to the file path, which reports it as before.
            if sendsBody && region.length <= Int64(Self.inlineBodyLimit) && region.appendContents(to: &head) {
                region.close()
                output.append(bytes: head)
            } else {
                output.append(bytes: head)
                if sendsBody { output.append(file: region) } else { region.close() }
            }
        case .stream(let declared, let writer):
            output.append(bytes: head)
            if sendsBody {
                exchange.responseQueued = false
                streaming = StreamingResponse(chunked: chunked, declaredLength: declared)
                startWriter(writer)
            }
        }
        self.exchange = exchange
        flushOutput()
    }

    /// Appends `HTTP/1.1 <code> <reason>` CRLF (RFC 9112 §4).
    static func appendStatusLine(_ status: HTTPResponse.Status, to head: inout [UInt8]) {
        head.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(Int64(status.code), to: &head)
        head.append(HTTPByteClass.space)
        head.append(contentsOf: status.reasonPhrase.utf8)
        head.append(contentsOf: crlf)
    }

    /// Appends the field lines of `fields` except those the server manages itself.
    static func appendFieldLines(_ fields: HTTPFields, to head: inout [UInt8]) {
        for field in fields where !isServerManaged(field.name) {
            head.append(contentsOf: field.name.rawName.utf8)
            head.append(contentsOf: ": ".utf8)
            head.append(contentsOf: field.value.utf8)
            head.append(contentsOf: crlf)
        }
    }

    /// Appends `Content-Length: <length>` CRLF (RFC 9110 §8.6).
    static func appendContentLength(_ length: Int64, to head: inout [UInt8]) {
        head.append(contentsOf: "Content-Length: ".utf8)
        appendDecimal(length, to: &head)
        head.append(contentsOf: crlf)
    }

    /// Appends a non-negative number in decimal without building a String.
    private static func appendDecimal(_ value: Int64, to bytes: inout [UInt8]) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var remaining = UInt64(max(0, value))
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
                count += 1
            } while remaining > 0
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(20 - count)...]))
        }
    }

    /// Fields the server sets itself (RFC 9112 §6 framing, §9 connection, RFC 9110 §6.6.1).
    private static func isServerManaged(_ name: HTTPField.Name) -> Bool {
        name == .contentLength || name == .transferEncoding || name == .connection || name == .date
    }

    private func startWriter(_ writer: @escaping @Sendable (HTTPResponseBodyWriter) async throws -> Void) {
        let loop = self.loop
        let connection = LoopBound(value: self)
        let serial = self.serial
        let handle = HTTPResponseBodyWriter(loop: loop, connection: connection, serial: serial)
        Task(executorPreference: loop) {
            do {
                try await writer(handle)
                loop.submit(.streamEnd(connection, serial: serial, failed: false))
            } catch {
                loop.submit(.streamEnd(connection, serial: serial, failed: true))
            }
        }
    }

    /// Queues a streaming writer's bytes; its continuation resumes once the queue has room.
    func streamWrite(_ bytes: [UInt8], serial: UInt64, continuation: UnsafeContinuation<Void, any Error>) {
        guard phase == .handling, serial == self.serial, var streaming, !streaming.ended, streaming.waitingWriter == nil else {
            continuation.resume(throwing: HTTPServerError.connectionClosed)
            return
        }
        if let declared = streaming.declaredLength, streaming.written + Int64(bytes.count) > declared {
            continuation.resume(throwing: HTTPServerError.invalidState("stream longer than its declared length"))
            close()
            return
        }
        streaming.written += Int64(bytes.count)
        if streaming.chunked {
            // RFC 9112 §7.1: chunk = chunk-size CRLF chunk-data CRLF.
            output.append(bytes: Array("\(String(bytes.count, radix: 16))\r\n".utf8))
            output.append(bytes: bytes)
            output.append(bytes: Self.crlf)
        } else {
            output.append(bytes: bytes)
        }
        streaming.waitingWriter = continuation
        self.streaming = streaming
        flushOutput()
    }

    /// The streaming writer returned or threw.
    func streamEnded(serial: UInt64, failed: Bool) {
        guard phase == .handling, serial == self.serial, var streaming else { return }
        // A body cut short can only be signalled by closing: no last chunk, or fewer bytes
        // than the Content-Length (RFC 9112 §8).
        if failed || (streaming.declaredLength.map { $0 != streaming.written } ?? false) {
            close()
            return
        }
        streaming.ended = true
        if streaming.chunked {
            // RFC 9112 §7.1: last-chunk, then an empty trailer section.
            output.append(bytes: Array("0\r\n\r\n".utf8))
        }
        self.streaming = streaming
        exchange?.responseQueued = true
        flushOutput()
    }

    /// Writes queued output until done or the transport would block: the connection's
    /// registration is edge-triggered (epoll(7)), so EPOLLOUT comes only after EAGAIN.
    func flushOutput() {
        while phase != .closed, let segment = output.front {
            guard write(segment) else { break }
        }
        guard phase != .closed else { return }
        if var streaming, let writer = streaming.waitingWriter,
            output.queuedBytes <= context.configuration.limits.responseBufferBytes
        {
            streaming.waitingWriter = nil
            self.streaming = streaming
            writer.resume()
        }
        if !output.hasPending, exchange?.responseQueued == true {
            finishResponse()
        }
    }

    /// Writes from one segment; false when the transport would block or the connection ended.
    private func write(_ segment: OutputQueue.Segment) -> Bool {
        let result: TransportResult
        // Bytes asked of a sendfile(2) call; a plain socket that took fewer is full.
        var sendfileAsked: Int64?
        switch segment {
        case .bytes(let bytes):
            let offset = output.offset
            if !transport.isEncrypted && output.frontIsFollowedByFile {
                result = bytes.withUnsafeBytes { sendHeadOfFile(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            } else {
                result = bytes.withUnsafeBytes { transport.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            }
        case .file(let region, let position, let remaining):
            if transport.isEncrypted {
                result = writeFileThroughTransport(region, position: position, remaining: remaining)
            } else {
                let asked = min(remaining, Self.sendfileCallLimit)
                sendfileAsked = asked
                result = sendFile(region, position: position, count: asked)
            }
        }
        switch result {
        case .done(let count) where count > 0:
            writeBlockedOnRead = false
            output.advance(by: count)
            context.metrics.recordSent(count)
            lastProgressAt = loop.now
            // A short sendfile(2) means the socket buffer filled (tcp_sendmsg set SOCK_NOSPACE,
            // so EPOLLOUT, edge-triggered, comes once the reader made room) or the file ended
            // early (`retryStalledWrite` finds it on the next timer tick). Waiting costs no
            // epoll_ctl and saves the immediate retry, which met EAGAIN about half the time
            // (0.84 per 4 MiB response, strace in docs/performance.md).
            if let sendfileAsked, Int64(count) < sendfileAsked { return false }
            return true
        case .done, .wantWrite:
            writeBlockedOnRead = false
            return false
        case .wantRead:
            writeBlockedOnRead = true
            return false
        case .closed:
            close()
            return false
        case .failed(let text):
            context.logger.debug("connection write failed", metadata: ["error": "\(text)"])
            close()
            return false
        }
    }

    /// Bytes asked of one sendfile(2) call. The kernel stops at what the socket buffer takes, so
    /// a blob of up to this size goes in one call when the reader keeps up; the cap bounds how
    /// long one connection holds the loop when it does (a few ms on loopback).
    static let sendfileCallLimit: Int64 = 8 << 20

    /// sendfile(2) from the file to the socket: no copy through user space.
    private func sendFile(_ region: HTTPFileRegion, position: Int64, count wanted: Int64) -> TransportResult {
        var offset = off_t(position)
        let count = SystemCall.retryingOnInterrupt {
            coffre_sendfile(descriptor, region.descriptor, &offset, Int(wanted))
        }
        if count > 0 { return .done(count) }
        if count == 0 { return .failed("file shorter than the response length") }
        switch errno {
        case EAGAIN, EWOULDBLOCK: return .wantWrite
        case EPIPE, ECONNRESET: return .closed
        default: return .failed("sendfile: \(String(cString: strerror(errno)))")
        }
    }

    /// send(2) of head bytes that a file body follows, with MSG_MORE: the kernel holds a
    /// partial segment for the file's first bytes instead of pushing the head alone (send(2),
    /// tcp(7) TCP_CORK: MSG_MORE corks this call only; the sendfile(2) that follows pushes).
    private func sendHeadOfFile(_ bytes: UnsafeRawBufferPointer) -> TransportResult {
        // MSG_NOSIGNAL: a peer that went away yields EPIPE instead of SIGPIPE (send(2)).
        let count = SystemCall.retryingOnInterrupt { coffre_send_more(descriptor, bytes.baseAddress, bytes.count) }
        if count >= 0 { return .done(count) }
        return PlainTransport.failure(errno, call: "send", blocked: .wantWrite)
    }

    /// TLS cannot use sendfile: read a slice with pread(2) and write it through the transport.
    /// A retried write re-reads the same slice, so OpenSSL sees the same bytes again.
    private func writeFileThroughTransport(_ region: HTTPFileRegion, position: Int64, remaining: Int64) -> TransportResult {
        let want = Int(min(remaining, Int64(loop.fileBuffer.count)))
        let count = SystemCall.retryingOnInterrupt { pread(region.descriptor, loop.fileBuffer.baseAddress, want, off_t(position)) }
        guard count > 0 else { return .failed(count == 0 ? "file shorter than the response length" : "pread failed") }
        return transport.write(UnsafeRawBufferPointer(rebasing: loop.fileBuffer[0..<count]))
    }

    /// The response is fully written: count it, log it, then serve the next request or close.
    func finishResponse() {
        guard let exchange else { return }
        let elapsed = SystemCall.monotonicNanoseconds() &- exchange.startedAt
        context.metrics.recordRequest(method: exchange.method, status: exchange.status, nanoseconds: elapsed)
        logAccess(exchange, nanoseconds: elapsed)
        self.exchange = nil
        streaming = nil
        bodyChannel = nil
        var keepAlive = exchange.keepAlive && !shutdownRequested
        if case .complete = body {} else { keepAlive = false }
        guard keepAlive else {
            beginLingering()
            return
        }
        phase = .idle
        phaseStartedAt = loop.now
        guard !isProcessing else { return }
        processInbound()
        resumeReading()
    }

    private func logAccess(_ exchange: HTTPExchange, nanoseconds: UInt64) {
        guard let level = context.configuration.accessLogLevel, context.logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = [
            "method": "\(exchange.method.rawValue)",
            "route": "\(exchange.routePattern ?? "-")",
            "status": "\(exchange.status)",
            "duration_ms": "\(Double(nanoseconds / 1000) / 1000)",
        ]
        if context.configuration.logClientAddresses { metadata["client"] = "\(remoteAddress)" }
        context.logger.log(level: level, "request", metadata: metadata)
    }
}
