import HTTPTypes
import Logging

extension HTTPConnection {
    /// Consumes bytes as the phase allows; returns how many were used (the rest stays pending).
    func process(_ bytes: UnsafeRawBufferPointer) -> Int {
        var index = 0
        while index < bytes.count {
            switch phase {
            case .idle, .readingHead:
                // Between requests, a plain GET/HEAD the fast lane can answer skips the parser.
                if phase == .idle, let fastLane = context.fastLane,
                    let used = answerOnFastLane(UnsafeRawBufferPointer(rebasing: bytes[index...]), fastLane)
                {
                    index += used
                    continue
                }
                if phase == .idle {
                    phase = .readingHead
                    phaseStartedAt = loop.now
                }
                do throws(HTTPServerError) {
                    let (used, head) = try parser.parse(UnsafeRawBufferPointer(rebasing: bytes[index...]))
                    index += used
                    if let head { startRequest(head) }
                } catch {
                    fail(with: error)
                    return bytes.count
                }
            case .handling:
                let used = feedBody(UnsafeRawBufferPointer(rebasing: bytes[index...]))
                guard used > 0 else { return index }
                index += used
            case .lingering:
                lingeredBytes += bytes.count - index
                if lingeredBytes > context.lingerMaxBytes { close() }
                return bytes.count
            case .closed:
                return bytes.count
            }
        }
        return index
    }

    /// A complete head arrived: build the request, resolve its handler and run it.
    private func startRequest(_ head: HTTPRequestHead) {
        serial &+= 1
        requestCount += 1
        guard let method = HTTPRequest.Method(head.method) else {
            fail(with: .badRequest(reason: "invalid method"))
            return
        }
        var fields = HTTPFields()
        fields.reserveCapacity(head.headers.count)
        for line in head.headers {
            // Names are tokens (checked by the parser), so this never drops a field.
            guard let name = HTTPField.Name(line.name) else { continue }
            fields.append(HTTPField(name: name, value: line.value))
        }
        // RFC 9112 §3.2.2: for an absolute-form target, its authority replaces the Host field.
        if head.target.utf8.first != UInt8(ascii: "/"), let host = head.host { fields[.requestHost] = host }
        phase = .handling
        lastProgressAt = loop.now
        exchange = HTTPExchange(
            method: method, minorVersion: head.minorVersion, keepAlive: head.clientAllowsKeepAlive,
            startedAt: loop.now, routePattern: nil, expectContinue: head.expectContinue)
        var request = HTTPServerRequest(
            method: method, target: head.target, path: head.path, query: head.query, headerFields: fields,
            version: HTTPVersion(major: 1, minor: head.minorVersion), remoteAddress: remoteAddress,
            isSecure: transport.isEncrypted, pathParameters: HTTPPathParameters(), routePattern: nil, body: .empty)
        let handler = context.responder.handler(for: &request)
        exchange?.routePattern = request.routePattern
        let limits = context.configuration.limits
        bodyLimit = handler.maxBodyBytes ?? limits.maxRequestBodyBytes
        bodyReceived = 0
        bodyWaitsForDemand = false
        switch head.framing {
        case .none:
            body = .complete
        case .contentLength(let length):
            // RFC 9110 §15.5.14: a body larger than the route accepts is refused before it is
            // read (and without 100 Continue).
            guard length <= bodyLimit else {
                fail(with: .contentTooLarge(limit: bodyLimit))
                return
            }
            body = .remaining(length)
        case .chunked:
            body = .chunked(HTTPChunkedDecoder(maxExtensionBytes: limits.maxChunkExtensionBytes, maxTrailerBytes: limits.maxTrailerBytes))
        }
        if head.framing != .none {
            // A 100-continue body is not read until the handler asks for it (RFC 9110 §10.1.1).
            let channel = RequestBodyChannel(
                highWater: limits.requestBodyBufferBytes, waitsForDemand: head.expectContinue, loop: loop,
                connection: LoopBound(value: self), serial: serial)
            bodyChannel = channel
            bodyWaitsForDemand = head.expectContinue
            let expected: Int64? = if case .contentLength(let length) = head.framing { length } else { nil }
            request.body = HTTPRequestBody(channel: channel, expectedLength: expected)
        }
        switch handler.execution {
        case .inline(let respond) where bodyChannel == nil:
            // Fast path: a cheap handler runs right here on the loop thread, no task hop.
            let response: HTTPServerResponse
            do {
                response = try respond(request)
            } catch {
                response = Self.errorResponse(for: error, logger: context.logger)
            }
            deliver(response, serial: serial)
        case .inline(let respond):
            spawn(request) { try respond($0) }
        case .attemptInline(let attempt, let otherwise) where bodyChannel == nil:
            // The fast lane: answered here from memory when it can be, else the task.
            if let response = attempt(request) {
                context.metrics.recordFastLaneResponse()
                deliver(response, serial: serial)
            } else {
                spawn(request, otherwise)
            }
        case .attemptInline(_, let otherwise):
            spawn(request, otherwise)
        case .task(let respond):
            spawn(request, respond)
        }
    }

    /// Runs a handler as a task; its response comes back through the loop's inbox.
    private func spawn(
        _ request: HTTPServerRequest, _ respond: @escaping @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse
    ) {
        let loop = self.loop
        let connection = LoopBound(value: self)
        let serial = self.serial
        let logger = context.logger
        Task(executorPreference: loop) {
            let response: HTTPServerResponse
            do {
                response = try await respond(request)
            } catch {
                response = HTTPConnection.errorResponse(for: error, logger: logger)
            }
            loop.submit(.response(connection, serial: serial, response: response))
        }
    }

    /// Feeds request-body bytes to the handler's channel; returns how many were used (0 when
    /// the body is complete, abandoned, or waits for the consumer).
    private func feedBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard !bodyWaitsForDemand, let channel = bodyChannel else { return 0 }
        switch body {
        case .remaining(let remaining):
            let take = Int(min(Int64(bytes.count), remaining))
            deliverBody([UInt8](UnsafeRawBufferPointer(rebasing: bytes[0..<take])), to: channel, remaining: remaining)
            return take
        case .chunked(var decoder):
            var chunk: [UInt8] = []
            let used: Int
            do throws(HTTPServerError) {
                used = try decoder.decode(bytes) { chunk.append(contentsOf: $0) }
            } catch {
                abandonBody(failing: error)
                return bytes.count
            }
            bodyReceived += Int64(chunk.count)
            guard bodyReceived <= bodyLimit else {
                abandonBody(failing: .contentTooLarge(limit: bodyLimit))
                return bytes.count
            }
            lastProgressAt = loop.now
            body = decoder.isFinished ? .complete : .chunked(decoder)
            let keepReading = chunk.isEmpty || channel.append(chunk)
            if decoder.isFinished {
                channel.finish()
            } else if !keepReading {
                bodyWaitsForDemand = true
            }
            return used
        case .complete, .abandoned:
            return 0
        }
    }

    /// Hands a chunk of a Content-Length body (at most the bytes still expected) to the
    /// handler, ending the body when it was the last.
    private func deliverBody(_ chunk: [UInt8], to channel: RequestBodyChannel, remaining: Int64) {
        bodyReceived += Int64(chunk.count)
        lastProgressAt = loop.now
        let left = remaining - Int64(chunk.count)
        body = left == 0 ? .complete : .remaining(left)
        let keepReading = channel.append(chunk)
        if left == 0 {
            channel.finish()
        } else if !keepReading {
            bodyWaitsForDemand = true
        }
    }

    /// Where the next read of a body goes when not through the loop's shared buffer.
    enum DirectBodyRead {
        /// Into a body chunk of at most this many bytes (`readBodyChunk`).
        case chunk(Int)
        /// Into the buffer a consumer's fill waits on (`HTTPRequestBody.fill`), then `bodyFilled`.
        case fill(UnsafeMutableRawBufferPointer)
        /// Nowhere: the consumer fills buffers and none waits, so reading stops until one does.
        case pause
    }

    /// The read that can go straight to the handler: while a Content-Length body streams to a
    /// handler that wants more and no received bytes wait in `inbound`, the socket is read into
    /// the very memory the handler gets — its fill buffer, or an array it receives — one copy
    /// fewer than through the loop's shared buffer. An array read is half the channel's
    /// high-water mark, so that the loop reads twice before pausing for the handler. Never more
    /// than the body has left, so the next request of a pipelining client is never read into
    /// it. Nil when the shared buffer is used. `.pause` has set `bodyWaitsForDemand`.
    func nextDirectBodyRead() -> DirectBodyRead? {
        guard phase == .handling, !bodyWaitsForDemand, let channel = bodyChannel, inboundStart >= inbound.count,
            case .remaining(let remaining) = body, remaining > 0
        else { return nil }
        switch channel.fillTarget(limit: Int(clamping: remaining)) {
        case .into(let space):
            return .fill(space)
        case .pause:
            bodyWaitsForDemand = true
            return .pause
        case .chunk:
            let preferred = min(max(context.configuration.limits.requestBodyBufferBytes / 2, 16 * 1024), 1 << 20)
            return .chunk(Int(min(Int64(preferred), remaining)))
        }
    }

    /// Counts `count` body bytes the loop read into a fill's buffer (`DirectBodyRead.fill`),
    /// ending the body when they were the last, pausing when the fill is complete.
    func bodyFilled(_ count: Int) {
        guard let channel = bodyChannel, case .remaining(let remaining) = body else { return }
        bodyReceived += Int64(count)
        lastProgressAt = loop.now
        context.metrics.requestBodyBytesFilled.wrappingAdd(count, ordering: .relaxed)
        let left = remaining - Int64(count)
        body = left == 0 ? .complete : .remaining(left)
        let keepReading = channel.filled(count, ended: left == 0)
        if left == 0 {
            channel.finish()
        } else if !keepReading {
            bodyWaitsForDemand = true
        }
    }

    /// Reads up to `size` body bytes into an array (see `nextDirectBodyRead`): a spare the
    /// handler gave back (`HTTPRequestBody.recycle`) when there is one, else a new array. A
    /// short read into a large array is copied into one of its own size, so that the bytes
    /// waiting in the channel, which back-pressure counts, are also the memory they hold; a
    /// spare used so goes back to the spares.
    func readBodyChunk(_ size: Int) -> (TransportResult, [UInt8]?) {
        guard let channel = bodyChannel, var chunk = channel.takeSpare() else { return readNewBodyChunk(size) }
        // A spare is as long as the read that last filled it: lengthened (once) when shorter.
        if chunk.count < size { chunk.append(contentsOf: repeatElement(0, count: size - chunk.count)) }
        let result = chunk.withUnsafeMutableBytes { transport.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<size])) }
        guard case .done(let read) = result else {
            channel.recycle([consume chunk])
            return (result, nil)
        }
        if read < size / 4 {
            let short = Array(chunk[0..<read])
            channel.recycle([consume chunk])
            return (result, short)
        }
        chunk.removeLast(chunk.count - read)
        return (result, chunk)
    }

    /// `readBodyChunk` into a new array.
    private func readNewBodyChunk(_ size: Int) -> (TransportResult, [UInt8]?) {
        var result = TransportResult.wantRead
        var chunk = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            result = transport.read(into: UnsafeMutableRawBufferPointer(buffer))
            if case .done(let read) = result { count = read } else { count = 0 }
        }
        guard case .done = result else { return (result, nil) }
        if chunk.count < size / 4 { chunk = chunk.withUnsafeBufferPointer { Array($0) } }
        return (result, chunk)
    }

    /// Delivers a chunk from `readBodyChunk`.
    func deliverBody(_ chunk: [UInt8]) {
        guard let channel = bodyChannel, case .remaining(let remaining) = body else { return }
        deliverBody(chunk, to: channel, remaining: remaining)
    }

    /// Stops reading a body that cannot be continued; the handler sees `error`, and the
    /// connection closes after the response.
    func abandonBody(failing error: HTTPServerError) {
        body = .abandoned
        exchange?.keepAlive = false
        bodyChannel?.fail(error)
    }

    /// The body consumer asked for bytes: send `100 Continue` if it is owed, resume reading.
    func bodyDemanded(serial: UInt64) {
        guard phase == .handling, serial == self.serial else { return }
        bodyWaitsForDemand = false
        if var exchange, exchange.expectContinue, !exchange.continueSent, !exchange.responseStarted {
            // RFC 9110 §10.1.1: 100 (Continue) is sent only once the handler reads the body.
            exchange.continueSent = true
            self.exchange = exchange
            output.append(bytes: Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            flushOutput()
        }
        processInbound()
        resumeReading()
    }

    /// Answers a protocol error detected by the server itself, with `Connection: close`.
    func fail(with error: HTTPServerError) {
        guard phase != .closed else { return }
        if exchange?.responseStarted == true || phase == .lingering {
            close()
            return
        }
        switch body {
        case .remaining, .chunked: abandonBody(failing: error)
        case .complete, .abandoned: body = .abandoned
        }
        parser.reset()
        phase = .handling
        if exchange == nil { exchange = .unparsed(at: loop.now) }
        exchange?.keepAlive = false
        inbound = []
        inboundStart = 0
        let logger = context.logger
        logger.debug("request refused", metadata: ["error": "\(error)"])
        deliver(Self.errorResponse(for: error, logger: logger), serial: serial)
    }

    /// The response for an error thrown by a handler (or found by the server): its own status
    /// for `HTTPServerError` client errors and `HTTPResponseError`, otherwise a generic 500
    /// (the error's type is logged at error level and its text at debug level; never sent).
    static func errorResponse(for error: any Error, logger: Logger) -> HTTPServerResponse {
        if let error = error as? HTTPServerError, let code = error.statusCode {
            let status = HTTPResponse.Status(code: code)
            return .text("\(code) \(status.reasonPhrase)\n", status: status)
        }
        if let error = error as? any HTTPResponseError {
            var response = HTTPServerResponse(status: error.status, headerFields: error.headerFields, body: .bytes(error.body))
            if response.headerFields[.contentType] == nil { response.headerFields[.contentType] = "text/plain; charset=utf-8" }
            return response
        }
        if let error = error as? HTTPServerError, error == .bodyTruncated || error == .connectionClosed {
            logger.debug("handler stopped: client went away", metadata: ["error": "\(error)"])
        } else {
            // The app's error text may quote user content: only its type at error level, the
            // description at debug level (off unless an operator turns it on).
            logger.error("handler failed", metadata: ["error_type": "\(type(of: error))"])
            logger.debug("handler failure detail", metadata: ["error": "\(error)"])
        }
        return .text("500 Internal Server Error\n", status: .internalServerError)
    }
}
