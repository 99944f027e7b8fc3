import Synchronization

/// Hands request-body chunks from a connection's event loop to the handler task, with
/// back-pressure: once `highWater` bytes wait unread, `append` tells the loop to stop reading
/// the socket; the consumer asks the loop to resume (through `EventLoop.submit`) when half of
/// them were consumed. The same demand signal starts reading a body that waits for
/// `100 Continue` (RFC 9110 §10.1.1).
///
/// Chunks the consumer is done with can come back (`recycle`) as spares, which the loop reads
/// the next body bytes into (`takeSpare`) instead of allocating an array per read.
final class RequestBodyChannel: Sendable {
    private struct State {
        var chunks: [[UInt8]] = []
        var firstChunk = 0
        var bufferedBytes = 0
        var finished = false
        var failure: HTTPServerError?
        var waiter: UnsafeContinuation<[UInt8]?, any Error>?
        /// The loop stopped reading and waits for the consumer's demand.
        var loopWaitsForDemand: Bool
        /// Arrays given back by the consumer for the next reads, and their capacity in all.
        var spares: [[UInt8]] = []
        var spareBytes = 0
    }

    private enum Step {
        case deliver([UInt8]?)
        case fail(HTTPServerError)
        case wait
    }

    private let state: Mutex<State>
    private let highWater: Int
    /// Most bytes of spares kept: five times `highWater`, which with the default settings
    /// holds the 1 MiB of chunks a blob upload hands back after each disk write
    /// (`BlobLayer.writeBatchBytes`) with room for malloc's rounding of their capacity.
    private var spareLimit: Int { highWater * 5 }
    private let loop: EventLoop
    private let connection: LoopBound<HTTPConnection>
    private let serial: UInt64

    /// - Parameter waitsForDemand: true when the loop must not read the body until the
    ///   consumer asks for it (a `100-continue` request).
    init(highWater: Int, waitsForDemand: Bool, loop: EventLoop, connection: LoopBound<HTTPConnection>, serial: UInt64) {
        self.state = Mutex(State(loopWaitsForDemand: waitsForDemand))
        self.highWater = max(1, highWater)
        self.loop = loop
        self.connection = connection
        self.serial = serial
    }

    // MARK: Loop side

    /// Delivers a chunk; returns false when the loop must stop reading until demand returns.
    func append(_ chunk: [UInt8]) -> Bool {
        var buffered = 0
        let (waiter, keepReading) = state.withLock { state -> (UnsafeContinuation<[UInt8]?, any Error>?, Bool) in
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, true)
            }
            state.chunks.append(chunk)
            state.bufferedBytes += chunk.count
            buffered = state.bufferedBytes
            if state.bufferedBytes >= highWater {
                state.loopWaitsForDemand = true
                return (nil, false)
            }
            return (nil, true)
        }
        if let waiter {
            waiter.resume(returning: chunk)
        } else {
            loop.context.metrics.recordBufferedRequestBody(buffered)
            if !keepReading { loop.context.metrics.requestBodyReadPauses.wrappingAdd(1, ordering: .relaxed) }
        }
        return keepReading
    }

    /// Marks the end of the body.
    func finish() {
        let waiter = state.withLock { state -> UnsafeContinuation<[UInt8]?, any Error>? in
            state.finished = true
            state.spares = []
            state.spareBytes = 0
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Ends the body with an error (truncation, timeout, too large); ignored once finished.
    func fail(_ error: HTTPServerError) {
        let waiter = state.withLock { state -> UnsafeContinuation<[UInt8]?, any Error>? in
            guard !state.finished, state.failure == nil else { return nil }
            state.failure = error
            state.spares = []
            state.spareBytes = 0
            state.chunks = []
            state.firstChunk = 0
            state.bufferedBytes = 0
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(throwing: error)
    }

    /// A spare array from `recycle` to read the next body bytes into, nil when there is none.
    /// Its count and contents are whatever it had: the caller sets both.
    func takeSpare() -> [UInt8]? {
        state.withLock { state -> [UInt8]? in
            guard let spare = state.spares.popLast() else { return nil }
            state.spareBytes -= spare.capacity
            return spare
        }
    }

    // MARK: Consumer side

    /// Takes back chunks from `next` that the consumer no longer uses, as spares for the next
    /// reads; beyond `spareLimit` bytes, and once the body has ended, they are dropped. A chunk
    /// that is still referenced elsewhere is never overwritten (the loop's write into it copies
    /// it first), so this is only worth calling with the last reference.
    func recycle(_ chunks: consuming [[UInt8]]) {
        var returned = chunks
        state.withLock { state in
            guard !state.finished, state.failure == nil else { return }
            // Popped, not iterated: each array leaves `returned` as it enters `spares`.
            while let chunk = returned.popLast() {
                guard !chunk.isEmpty, state.spareBytes + chunk.capacity <= spareLimit else { continue }
                state.spareBytes += chunk.capacity
                state.spares.append(chunk)
            }
        }
    }

    /// The next chunk, nil at the end of the body; throws the failure that ended it.
    func next() async throws -> [UInt8]? {
        var signal = false
        let step = state.withLock { state in Self.take(&state, highWater: highWater, signal: &signal) }
        if signal { signalDemand() }
        switch step {
        case .deliver(let chunk): return chunk
        case .fail(let error): throw error
        case .wait: break
        }
        return try await withUnsafeThrowingContinuation { continuation in
            var signalAgain = false
            let immediate = state.withLock { state -> Step? in
                let step = Self.take(&state, highWater: highWater, signal: &signalAgain)
                guard case .wait = step else { return step }
                guard state.waiter == nil else { return .fail(.invalidState("request body read concurrently")) }
                state.waiter = continuation
                return nil
            }
            if signalAgain { signalDemand() }
            switch immediate {
            case .deliver(let chunk): continuation.resume(returning: chunk)
            case .fail(let error): continuation.resume(throwing: error)
            case .wait, nil: break
            }
        }
    }

    private static func take(_ state: inout State, highWater: Int, signal: inout Bool) -> Step {
        if let failure = state.failure { return .fail(failure) }
        if state.firstChunk < state.chunks.count {
            let chunk = state.chunks[state.firstChunk]
            state.chunks[state.firstChunk] = []
            state.firstChunk += 1
            if state.firstChunk == state.chunks.count {
                state.chunks.removeAll(keepingCapacity: true)
                state.firstChunk = 0
            }
            state.bufferedBytes -= chunk.count
            if state.loopWaitsForDemand && state.bufferedBytes <= highWater / 2 {
                state.loopWaitsForDemand = false
                signal = true
            }
            return .deliver(chunk)
        }
        if state.finished { return .deliver(nil) }
        if state.loopWaitsForDemand {
            state.loopWaitsForDemand = false
            signal = true
        }
        return .wait
    }

    private func signalDemand() {
        loop.submit(.bodyDemand(connection, serial: serial))
    }
}
