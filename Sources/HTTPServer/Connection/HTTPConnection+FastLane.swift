import HTTPTypes

extension HTTPConnection {
    /// Answers the request at the start of `bytes` on the lean fast lane when it is plain
    /// (`HTTPLeanRequestScanner`) and the lane has its answer; returns the bytes of its head,
    /// or nil to let the full parser read the same bytes. Only called between requests (phase
    /// `idle`, nothing of a head buffered), so pipelined requests keep their order: this one's
    /// response is written (or queued) before the next head is looked at.
    func answerOnFastLane(_ bytes: UnsafeRawBufferPointer, _ fastLane: any HTTPFastLane) -> Int? {
        guard let lean = HTTPLeanRequestScanner.scan(bytes, limits: context.headLimits) else { return nil }
        let request = HTTPFastLaneRequest(
            isHead: lean.isHead, path: UnsafeRawBufferPointer(rebasing: bytes[lean.path]),
            authorization: lean.authorization.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) })
        guard let prepared = fastLane.response(for: request) else { return nil }
        serial &+= 1
        requestCount += 1
        phase = .handling
        lastProgressAt = loop.now
        body = .complete
        var exchange = HTTPExchange(
            method: lean.isHead ? .head : .get, minorVersion: 1, keepAlive: lean.keepAlive, startedAt: loop.now,
            routePattern: fastLane.routePattern, expectContinue: false)
        exchange.responseStarted = true
        exchange.responseQueued = true
        exchange.status = prepared.statusCode
        // The same persistence rules as `deliver` (RFC 9112 §9.3, §9.6).
        if requestCount >= context.configuration.limits.maxRequestsPerConnection || shutdownRequested || inputClosed {
            exchange.keepAlive = false
        }
        self.exchange = exchange
        context.metrics.recordFastLaneResponse()
        send(prepared, isHead: lean.isHead, keepAlive: exchange.keepAlive)
        return lean.headLength
    }

    /// Writes `prepared` with today's Date in one write from the loop's gather buffer; what
    /// the socket does not take is queued as `deliver` would queue it.
    private func send(_ prepared: HTTPPreparedResponse, isHead: Bool, keepAlive: Bool) {
        let date = loop.currentDate()
        let buffer = loop.gatherBuffer
        guard prepared.maximumByteCount(dateCount: date.count) <= buffer.count else {
            // Larger than a fast-lane answer should be: built as an array and queued instead.
            output.append(bytes: gather(prepared, date: date, isHead: isHead, keepAlive: keepAlive))
            flushOutput()
            return
        }
        let count = gather(prepared, date: date, isHead: isHead, keepAlive: keepAlive, into: buffer)
        let result = transport.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        var written = 0
        switch result {
        case .done(let sent):
            written = sent
            writeBlockedOnRead = false
        case .wantWrite:
            writeBlockedOnRead = false
        case .wantRead:
            writeBlockedOnRead = true
        case .closed:
            close()
            return
        case .failed(let text):
            context.logger.debug("connection write failed", metadata: ["error": "\(text)"])
            close()
            return
        }
        if written > 0 {
            context.metrics.recordSent(written)
            lastProgressAt = loop.now
        }
        if written == count {
            finishResponse()
            return
        }
        // The socket is behind: the rest waits in the output queue for EPOLLOUT, which
        // (edge-triggered) comes only after EAGAIN, so a short write is retried at once.
        output.append(bytes: Array(UnsafeRawBufferPointer(rebasing: buffer[written..<count])))
        if written > 0 { flushOutput() }
    }

    /// The response's bytes as an array (the rare answer larger than the gather buffer).
    private func gather(_ prepared: HTTPPreparedResponse, date: [UInt8], isHead: Bool, keepAlive: Bool) -> [UInt8] {
        let capacity = prepared.maximumByteCount(dateCount: date.count)
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            count = gather(prepared, date: date, isHead: isHead, keepAlive: keepAlive, into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// Copies status line, Date, fields, framing end and (unless HEAD) body into `buffer`,
    /// which holds at least `maximumByteCount`; returns the bytes written.
    private func gather(
        _ prepared: HTTPPreparedResponse, date: [UInt8], isHead: Bool, keepAlive: Bool, into buffer: UnsafeMutableRawBufferPointer
    ) -> Int {
        var count = 0
        func put(_ bytes: UnsafeRawBufferPointer) {
            UnsafeMutableRawBufferPointer(rebasing: buffer[count..<(count + bytes.count)]).copyMemory(from: bytes)
            count += bytes.count
        }
        prepared.statusLine.withUnsafeBytes(put)
        // RFC 9110 §6.6.1: an origin server with a clock sends Date.
        put(UnsafeRawBufferPointer(start: Self.dateName.utf8Start, count: Self.dateName.utf8CodeUnitCount))
        date.withUnsafeBytes(put)
        Self.crlf.withUnsafeBytes(put)
        prepared.fieldLines.withUnsafeBytes(put)
        // RFC 9112 §9.6: the close option on the last response of the connection.
        let end: StaticString = keepAlive ? "\r\n" : "Connection: close\r\n\r\n"
        put(UnsafeRawBufferPointer(start: end.utf8Start, count: end.utf8CodeUnitCount))
        // RFC 9110 §9.3.2: HEAD gets the same fields, Content-Length included, and no content.
        if !isHead { prepared.body.withUnsafeBytes(put) }
        return count
    }

    private static let dateName: StaticString = "Date: "
}
