import Synchronization

/// Hands request-body chunks from a connection's event loop to the handler task, with
/// back-pressure: once `highWater` bytes wait unread, `append` tells the loop to stop reading
/// the socket; the consumer asks the loop to resume (through `EventLoop.submit`) when half of
/// them were consumed. The same demand signal starts reading a body that waits for
/// `100 Continue` (RFC 9110 §10.1.1).
///
/// Chunks the consumer is done with can come back (`recycle`) as spares, which the loop reads
/// the next body bytes into (`takeSpare`) instead of allocating an array per read.
///
/// A consumer may instead hand over buffers of its own (`fill`): the loop then reads the socket
/// straight into the waiting buffer (`fillTarget`, `filled`) and completes the fill when it is
/// full or the body ends. From the first fill on, the loop reads only while a fill waits and
/// pauses in between, so no body byte is copied on the way (bytes already queued as chunks
/// are copied into the buffer first). The buffer is written only on the loop's thread, and the
/// fill is completed or failed only there, after the read into it returned: the consumer gets
/// its buffer back before anything else can touch it.
final class RequestBodyChannel: Sendable {
    /// A consumer's buffer as the channel holds it during a fill.
    ///
    /// `@unchecked Sendable`: its memory has one writer at a time — the consumer before it
    /// calls `fill` and after `fill` returns, the loop's thread in between (see above).
    private struct FillMemory: @unchecked Sendable {
        let buffer: UnsafeMutableRawBufferPointer
    }

    /// A consumer's buffer waiting to be filled.
    private struct FillTarget {
        let memory: FillMemory
        var filled: Int
        let continuation: UnsafeContinuation<Int, any Error>

        var capacity: Int { memory.buffer.count }
        var base: UnsafeMutableRawPointer { memory.buffer.baseAddress! }
    }

    private struct State {
        var chunks: [[UInt8]] = []
        var firstChunk = 0
        /// Bytes of `chunks[firstChunk]` that a fill already took.
        var firstChunkOffset = 0
        var bufferedBytes = 0
        var finished = false
        var failure: HTTPServerError?
        var waiter: UnsafeContinuation<[UInt8]?, any Error>?
        /// The loop stopped reading and waits for the consumer's demand.
        var loopWaitsForDemand: Bool
        /// Arrays given back by the consumer for the next reads, and their capacity in all.
        var spares: [[UInt8]] = []
        var spareBytes = 0
        /// The buffer a suspended `fill` waits on.
        var target: FillTarget?
        /// Set by the first `fill`: the loop then pauses whenever no fill waits.
        var fillMode = false
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
        var completed: (UnsafeContinuation<Int, any Error>, Int)?
        let (waiter, keepReading) = state.withLock { state -> (UnsafeContinuation<[UInt8]?, any Error>?, Bool) in
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, true)
            }
            var rest = chunk[...]
            if var target = state.target {
                // A waiting fill takes what fits; the rest waits for the next one.
                let take = min(rest.count, target.capacity - target.filled)
                rest.withUnsafeBytes { source in
                    UnsafeMutableRawBufferPointer(start: target.base + target.filled, count: take)
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<take]))
                }
                target.filled += take
                rest = rest.dropFirst(take)
                if target.filled == target.capacity {
                    state.target = nil
                    state.loopWaitsForDemand = true
                    completed = (target.continuation, target.filled)
                } else {
                    state.target = target
                }
                if rest.isEmpty { return (nil, completed == nil) }
            }
            state.chunks.append(rest.count == chunk.count ? chunk : Array(rest))
            if completed != nil {
                state.bufferedBytes += rest.count
                return (nil, false)
            }
            state.bufferedBytes += chunk.count
            buffered = state.bufferedBytes
            if state.bufferedBytes >= highWater {
                state.loopWaitsForDemand = true
                return (nil, false)
            }
            return (nil, true)
        }
        if let (continuation, count) = completed {
            continuation.resume(returning: count)
        } else if let waiter {
            waiter.resume(returning: chunk)
        } else {
            loop.context.metrics.recordBufferedRequestBody(buffered)
            if !keepReading { loop.context.metrics.requestBodyReadPauses.wrappingAdd(1, ordering: .relaxed) }
        }
        return keepReading
    }

    /// Marks the end of the body.
    func finish() {
        let (waiter, target) = state.withLock { state -> (UnsafeContinuation<[UInt8]?, any Error>?, FillTarget?) in
            state.finished = true
            state.spares = []
            state.spareBytes = 0
            defer {
                state.waiter = nil
                state.target = nil
            }
            return (state.waiter, state.target)
        }
        waiter?.resume(returning: nil)
        target?.continuation.resume(returning: target?.filled ?? 0)
    }

    /// Ends the body with an error (truncation, timeout, too large); ignored once finished.
    func fail(_ error: HTTPServerError) {
        let (waiter, target) = state.withLock { state -> (UnsafeContinuation<[UInt8]?, any Error>?, FillTarget?) in
            guard !state.finished, state.failure == nil else { return (nil, nil) }
            state.failure = error
            state.spares = []
            state.spareBytes = 0
            state.chunks = []
            state.firstChunk = 0
            state.firstChunkOffset = 0
            state.bufferedBytes = 0
            defer {
                state.waiter = nil
                state.target = nil
            }
            return (state.waiter, state.target)
        }
        waiter?.resume(throwing: error)
        target?.continuation.resume(throwing: error)
    }

    /// What the loop reads the next body bytes into (`fillTarget`).
    enum FillRead {
        /// No fill was ever asked for: into an array, as before.
        case chunk
        /// The free part of the buffer a fill waits on.
        case into(UnsafeMutableRawBufferPointer)
        /// Fill mode with no fill waiting: stop reading until demand returns.
        case pause
    }

    /// Where the loop reads the next body bytes, at most `limit` of them. Only the loop's
    /// thread writes a fill's space, then reports with `filled` before anything else runs on
    /// that thread; `.pause` has already marked the loop as waiting for demand.
    func fillTarget(limit: Int) -> FillRead {
        state.withLock { state in
            guard state.fillMode else { return .chunk }
            guard let target = state.target else {
                state.loopWaitsForDemand = true
                return .pause
            }
            return .into(UnsafeMutableRawBufferPointer(start: target.base + target.filled, count: min(limit, target.capacity - target.filled)))
        }
    }

    /// Counts `count` bytes the loop read into the space from `fillTarget`; completes the fill
    /// when its buffer is full or `ended` (the body's last bytes). Returns false when the loop
    /// must stop reading until demand returns (the fill completed and no other waits).
    func filled(_ count: Int, ended: Bool) -> Bool {
        let completed = state.withLock { state -> (UnsafeContinuation<Int, any Error>, Int)? in
            guard var target = state.target else { return nil }
            target.filled += count
            guard target.filled == target.capacity || ended else {
                state.target = target
                return nil
            }
            state.target = nil
            state.loopWaitsForDemand = !ended
            return (target.continuation, target.filled)
        }
        guard let (continuation, total) = completed else { return true }
        continuation.resume(returning: total)
        return false
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

    /// Fills `buffer` with the next body bytes: first those already queued, then, suspended,
    /// those the loop reads straight into it. Returns how many were placed from its start:
    /// `buffer.count` unless the body ended first (0 once it has). Throws the failure that
    /// ended the body. `buffer` must stay allocated and untouched until this returns.
    func fill(_ buffer: UnsafeMutableRawBufferPointer) async throws -> Int {
        guard buffer.baseAddress != nil, buffer.count > 0 else { return 0 }
        let memory = FillMemory(buffer: buffer)
        var copied = 0
        if let first = state.withLock({ state in Self.drain(&state, into: memory, at: &copied) }) { return try first.get() }
        let waiting = copied
        return try await withUnsafeThrowingContinuation { continuation in
            var copied = waiting
            var signalAgain = false
            let immediate = state.withLock { state -> Result<Int, any Error>? in
                if let done = Self.drain(&state, into: memory, at: &copied) { return done }
                guard state.target == nil, state.waiter == nil else { return .failure(HTTPServerError.invalidState("request body read concurrently")) }
                state.target = FillTarget(memory: memory, filled: copied, continuation: continuation)
                if state.loopWaitsForDemand {
                    state.loopWaitsForDemand = false
                    signalAgain = true
                }
                return nil
            }
            if signalAgain { signalDemand() }
            if let immediate { continuation.resume(with: immediate) }
        }
    }

    /// The queued part of `fill`: copies queued chunks into `buffer` from `copied` on and
    /// returns the fill's result when it is settled (full, the body ended, or failed), nil
    /// when it must wait for the loop. Enters fill mode. A loop paused for demand stays
    /// paused while queued bytes settle fills: the next fill that must wait asks for more.
    private static func drain(
        _ state: inout State, into memory: FillMemory, at copied: inout Int
    ) -> Result<Int, any Error>? {
        let buffer = memory.buffer
        state.fillMode = true
        if let failure = state.failure { return .failure(failure) }
        while copied < buffer.count && state.firstChunk < state.chunks.count {
            let chunk = state.chunks[state.firstChunk]
            let take = min(chunk.count - state.firstChunkOffset, buffer.count - copied)
            chunk.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(rebasing: buffer[copied..<(copied + take)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[state.firstChunkOffset..<(state.firstChunkOffset + take)]))
            }
            copied += take
            state.bufferedBytes -= take
            state.firstChunkOffset += take
            if state.firstChunkOffset == chunk.count {
                state.chunks[state.firstChunk] = []
                state.firstChunk += 1
                state.firstChunkOffset = 0
            }
        }
        if state.firstChunk == state.chunks.count {
            state.chunks.removeAll(keepingCapacity: true)
            state.firstChunk = 0
        }
        if copied == buffer.count || (state.finished && state.chunks.isEmpty) { return .success(copied) }
        return nil
    }

    private static func take(_ state: inout State, highWater: Int, signal: inout Bool) -> Step {
        // Iterating after fills: the loop goes back to arrays, rather than pausing for fills
        // that never come.
        state.fillMode = false
        if let failure = state.failure { return .fail(failure) }
        if state.firstChunk < state.chunks.count {
            var chunk = state.chunks[state.firstChunk]
            if state.firstChunkOffset > 0 {
                chunk = Array(chunk[state.firstChunkOffset...])
                state.firstChunkOffset = 0
            }
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
