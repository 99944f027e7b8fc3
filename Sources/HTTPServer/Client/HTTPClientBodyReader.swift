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
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            throw .invalidRequest(reason: "response body read concurrently")
        }
        defer { busy.store(false, ordering: .releasing) }
        do throws(HTTPClientError) {
            switch state {
            case .finished: return nil
            case .failed(let error): throw error
            default: break
            }
            if Task.isCancelled { throw .cancelled }
            switch state {
            case .remaining(let remaining):
                let chunk = try await readDirect(upTo: Int(min(remaining, Int64(Self.maxChunkBytes))))
                guard !chunk.isEmpty else { throw .connectionClosed }
                let left = remaining - Int64(chunk.count)
                state = left == 0 ? .finished : .remaining(left)
                if left == 0 { release(cleanEnd: true) }
                return chunk
            case .chunked(var decoder):
                let chunk = try await decodeChunked(&decoder)
                state = decoder.isFinished ? .finished : .chunked(decoder)
                if decoder.isFinished { release(cleanEnd: true) }
                return chunk.isEmpty ? nil : chunk
            case .untilClose:
                let chunk = try await readDirect(upTo: Self.maxChunkBytes)
                // RFC 9112 §6.3 rule 8: the server closing the connection ends this body.
                if chunk.isEmpty {
                    state = .finished
                    release(cleanEnd: false)
                    return nil
                }
                return chunk
            case .finished, .failed:
                return nil
            }
        } catch {
            state = .failed(error)
            release(cleanEnd: false)
            throw error
        }
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

    /// Decodes chunked framing (RFC 9112 §7.1) until some data or the end is there.
    private func decodeChunked(_ decoder: inout HTTPChunkedDecoder) async throws(HTTPClientError) -> [UInt8] {
        while true {
            if connection.pendingCount > 0 {
                var chunk: [UInt8] = []
                let used: Int
                do throws(HTTPServerError) {
                    used = try decoder.decode(connection.pending) { chunk.append(contentsOf: $0) }
                } catch {
                    if case .badRequest(let reason) = error { throw .malformedResponse(reason: reason) }
                    throw .malformedResponse(reason: "invalid chunked body")
                }
                connection.consume(used)
                if !chunk.isEmpty || decoder.isFinished { return chunk }
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
