import HTTPTypes
import Logging

extension HTTPConnection {
    /// Consumes bytes as the phase allows; returns how many were used (the rest stays pending).
    func process(_ bytes: UnsafeRawBufferPointer) -> Int {
        var index = 0
        while index < bytes.count {
            switch phase {
            case .idle, .readingHead:
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
            let chunk = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[0..<take]))
            bodyReceived += Int64(take)
            lastProgressAt = loop.now
            let left = remaining - Int64(take)
            body = left == 0 ? .complete : .remaining(left)
            let keepReading = channel.append(chunk)
            if left == 0 {
                channel.finish()
            } else if !keepReading {
                bodyWaitsForDemand = true
            }
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
        if transport.isEncrypted { readAvailable() }
        updateInterest()
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
