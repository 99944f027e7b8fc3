import Synchronization

/// Reads one response body from its connection only as the consumer asks (the socket is not
/// read further in between: back-pressure reaches the server through TCP), then gives the
/// connection back to the pool: for reuse when the body ended cleanly on a reusable
/// connection, closed otherwise (also when the body is dropped unread).
///
/// `@unchecked Sendable`: its state is touched only inside `next()`, which `busy` makes
/// exclusive (a concurrent call is refused), and in deinit, when nobody else holds it.
final class HTTPClientBodyReader: @unchecked Sendable {
    private enum State {
        case remaining(Int64)
        case chunked(HTTPChunkedDecoder)
        case untilClose
        case finished
        case failed(HTTPClientError)
    }

    /// Largest chunk handed out at once.
    static let maxChunkBytes = 256 * 1024

    let connection: HTTPClientConnection
    private let pool: HTTPClientConnectionPool
    private let reusable: Bool
    private let readIdleTimeout: UInt64
    private var state: State
    private var released = false
    private let busy = Atomic<Bool>(false)

    init(
        connection: HTTPClientConnection, pool: HTTPClientConnectionPool, framing: HTTPResponseBodyFraming,
        reusable: Bool, readIdleTimeout: UInt64
    ) {
        self.connection = connection
        self.pool = pool
        self.reusable = reusable
        self.readIdleTimeout = readIdleTimeout
        switch framing {
        case .none, .contentLength(0): state = .finished
        case .contentLength(let length): state = .remaining(length)
        case .chunked: state = .chunked(HTTPChunkedDecoder())
        case .untilClose: state = .untilClose
        }
        if case .finished = state { release(cleanEnd: true) }
    }

    deinit {
        // Dropped before its end: the rest of the body is still on the wire.
        release(cleanEnd: false)
    }

    /// The next run of body bytes, nil at the end.
    func next() async throws(HTTPClientError) -> [UInt8]? {
        try await exclusively { () async throws(HTTPClientError) -> [UInt8]? in
            switch state {
            case .remaining(let remaining):
                let chunk = try await readDirect(upTo: Int(min(remaining, Int64(Self.maxChunkBytes))))
                try consumed(chunk.count, of: remaining)
                return chunk
            case .chunked(var decoder):
                var chunk: [UInt8] = []
                try await decodeChunked(&decoder, inputLimit: Int.max) { chunk.append(contentsOf: $0) }
                return chunk.isEmpty ? nil : chunk
            case .untilClose:
                let chunk = try await readDirect(upTo: Self.maxChunkBytes)
                return untilCloseRead(chunk.count) ? chunk : nil
            case .finished, .failed:
                return nil
            }
        } ended: { nil }
    }

    /// Reads the next body bytes straight into `target`, with no array in between: at least
    /// one and at most `target.count`; 0 at the end of the body.
    func read(into target: UnsafeMutableRawBufferPointer) async throws(HTTPClientError) -> Int {
        guard !target.isEmpty else { return 0 }
        return try await exclusively { () async throws(HTTPClientError) -> Int in
            switch state {
            case .remaining(let remaining):
                let count = try await readDirect(into: UnsafeMutableRawBufferPointer(rebasing: target[..<Int(min(remaining, Int64(target.count)))]))
                try consumed(count, of: remaining)
                return count
            case .chunked(var decoder):
                // Data never outgrows the framed input it comes from, so input bounded by the
                // target's size cannot overflow it.
                var count = 0
                try await decodeChunked(&decoder, inputLimit: target.count) { piece in
                    UnsafeMutableRawBufferPointer(rebasing: target[count..<(count + piece.count)]).copyMemory(from: piece)
                    count += piece.count
                }
                return count
            case .untilClose:
                let count = try await readDirect(into: target)
                return untilCloseRead(count) ? count : 0
            case .finished, .failed:
                return 0
            }
        } ended: { 0 }
    }

    /// Runs one read step alone (a concurrent call is refused), after the checks every step
    /// makes: a finished body gives `ended()`, a failed one its error, a cancelled task
    /// `.cancelled`. A step's error fails the body and closes the connection.
    private func exclusively<Value>(
        _ step: () async throws(HTTPClientError) -> Value, ended: () -> Value
    ) async throws(HTTPClientError) -> Value {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            throw .invalidRequest(reason: "response body read concurrently")
        }
        defer { busy.store(false, ordering: .releasing) }
        do throws(HTTPClientError) {
            switch state {
            case .finished: return ended()
            case .failed(let error): throw error
            default: break
            }
            if Task.isCancelled { throw .cancelled }
            return try await step()
        } catch {
            state = .failed(error)
            release(cleanEnd: false)
            throw error
        }
    }

    /// Accounts for `count` bytes read of a body with `remaining` bytes left; none means the
    /// connection closed early.
    private func consumed(_ count: Int, of remaining: Int64) throws(HTTPClientError) {
        guard count > 0 else { throw .connectionClosed }
        let left = remaining - Int64(count)
        state = left == 0 ? .finished : .remaining(left)
        if left == 0 { release(cleanEnd: true) }
    }

    /// Accounts for `count` bytes read of a body delimited by the connection's end; false
    /// (and the body finished) when the server closed it. RFC 9112 §6.3 rule 8: the server
    /// closing the connection ends this body.
    private func untilCloseRead(_ count: Int) -> Bool {
        guard count == 0 else { return true }
        state = .finished
        release(cleanEnd: false)
        return false
    }

    /// Stops reading: the connection is closed and later reads throw `error` (a consumer that
    /// gave up, e.g. on a body larger than it accepts). Ignored while a read is in progress.
    func abandon(with error: HTTPClientError) {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        defer { busy.store(false, ordering: .releasing) }
        state = .failed(error)
        // A body already read to its end has given its connection back; that stands.
        release(cleanEnd: false)
    }

    /// Up to `limit` bytes: those already buffered, or one read straight into the new array
    /// (no intermediate copy). Empty at end of stream.
    private func readDirect(upTo limit: Int) async throws(HTTPClientError) -> [UInt8] {
        if connection.pendingCount > 0 {
            let take = min(limit, connection.pendingCount)
            let chunk = [UInt8](UnsafeRawBufferPointer(rebasing: connection.pending[0..<take]))
            connection.consume(take)
            return chunk
        }
        while true {
            var outcome = HTTPClientConnection.AvailableRead.endOfStream
            var failure: HTTPClientError?
            let chunk = [UInt8](unsafeUninitializedCapacity: limit) { buffer, initialized in
                do throws(HTTPClientError) {
                    outcome = try connection.readAvailable(into: UnsafeMutableRawBufferPointer(buffer))
                } catch {
                    failure = error
                }
                if case .bytes(let count) = outcome { initialized = count } else { initialized = 0 }
            }
            if let failure { throw failure }
            switch outcome {
            case .bytes: return chunk
            case .endOfStream: return []
            case .wouldBlock(let events):
                let deadline = SystemCall.monotonicNanoseconds() + readIdleTimeout
                if try await connection.waitUntilReady(events, deadline: deadline) { throw .readTimeout }
            }
        }
    }

    /// Up to `target.count` bytes into `target`: those already buffered, or one read straight
    /// from the socket. 0 at end of stream.
    private func readDirect(into target: UnsafeMutableRawBufferPointer) async throws(HTTPClientError) -> Int {
        if connection.pendingCount > 0 {
            let take = min(target.count, connection.pendingCount)
            target.copyMemory(from: UnsafeRawBufferPointer(rebasing: connection.pending[0..<take]))
            connection.consume(take)
            return take
        }
        switch try await connection.read(into: target, deadline: SystemCall.monotonicNanoseconds() + readIdleTimeout) {
        case .bytes(let count): return count
        case .endOfStream: return 0
        case .timedOut: throw .readTimeout
        }
    }

    /// Decodes chunked framing (RFC 9112 §7.1) until some data or the end is there, passing
    /// the data to `emit`; at most `inputLimit` buffered bytes are decoded at once. The body
    /// is finished once the decoder is.
    private func decodeChunked(
        _ decoder: inout HTTPChunkedDecoder, inputLimit: Int, emit: (UnsafeRawBufferPointer) -> Void
    ) async throws(HTTPClientError) {
        defer {
            state = decoder.isFinished ? .finished : .chunked(decoder)
            if decoder.isFinished { release(cleanEnd: true) }
        }
        while true {
            if connection.pendingCount > 0 {
                var emitted = false
                let used: Int
                do throws(HTTPServerError) {
                    let input = UnsafeRawBufferPointer(rebasing: connection.pending.prefix(inputLimit))
                    used = try decoder.decode(input) { piece in
                        emitted = emitted || !piece.isEmpty
                        emit(piece)
                    }
                } catch {
                    if case .badRequest(let reason) = error { throw .malformedResponse(reason: reason) }
                    throw .malformedResponse(reason: "invalid chunked body")
                }
                connection.consume(used)
                if emitted || decoder.isFinished { return }
                // Input cut at `inputLimit` may have left bytes to decode before reading more.
                if connection.pendingCount > 0 { continue }
            }
            let deadline = SystemCall.monotonicNanoseconds() + readIdleTimeout
            switch try await connection.fill(deadline: deadline) {
            case .bytes: continue
            case .endOfStream: throw .connectionClosed
            case .timedOut: throw .readTimeout
            }
        }
    }

    /// Gives the connection back once: reusable only after a clean end with nothing extra
    /// buffered (bytes after the body mean the framing cannot be trusted).
    private func release(cleanEnd: Bool) {
        guard !released else { return }
        released = true
        pool.release(connection, reusable: cleanEnd && reusable && connection.pendingCount == 0)
    }
}
