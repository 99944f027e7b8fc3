import Foundation

/// A request body as the sealer's byte source: the request's task pushes pieces as they
/// arrive; the sealer's reader thread takes them with a blocking `read`. At most `limit`
/// bytes wait in between — a producer past it suspends (without holding a thread) until the
/// reader drains below it, so a body of any size costs bounded memory.
///
/// `@unchecked Sendable`: every stored property is read and written only while `condition`
/// is held; the producer's continuation is taken out under it and resumed after.
final class VaultBodySource: ByteSource, @unchecked Sendable {
    /// The reader stopped (the sealer failed or finished): pushing more is pointless.
    struct Closed: Error {}

    private let condition = NSCondition()
    private let limit: Int
    private var pieces: [[UInt8]] = []
    private var head = 0
    private var queued = 0
    private var ended = false
    private var failure: (any Error)?
    private var closed = false
    private var waitingProducer: CheckedContinuation<Void, Never>?

    /// A source starting with `prefix`, holding at most `limit` bytes queued.
    init(prefix: [UInt8], limit: Int) {
        self.limit = limit
        if !prefix.isEmpty {
            pieces = [prefix]
            queued = prefix.count
        }
    }

    /// Queues `piece`, suspending while the queue is full. Throws `Closed` once the reader stopped.
    func push(_ piece: [UInt8]) async throws {
        guard !piece.isEmpty else { return }
        while true {
            let accepted: Bool? = condition.withLock {
                if closed { return nil }
                guard queued < limit else { return false }
                pieces.append(piece)
                queued += piece.count
                condition.broadcast()
                return true
            }
            switch accepted {
            case nil: throw Closed()
            case true?: return
            case false?:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow: Bool = condition.withLock {
                        if closed || queued < limit { return true }
                        waitingProducer = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    /// The body ended: the reader sees the end once the queue is empty.
    func finish() {
        condition.withLock {
            ended = true
            condition.broadcast()
        }
    }

    /// The body failed (client gone, body too large): the reader throws `error`.
    func fail(_ error: any Error) {
        condition.withLock {
            failure = error
            condition.broadcast()
        }
    }

    /// The reader is done with the source: a waiting or later `push` throws `Closed`.
    func close() {
        let producer: CheckedContinuation<Void, Never>? = condition.withLock {
            closed = true
            condition.broadcast()
            defer { waitingProducer = nil }
            return waitingProducer
        }
        producer?.resume()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        condition.lock()
        while pieces.isEmpty && !ended && failure == nil && !closed { condition.wait() }
        if let failure {
            condition.unlock()
            throw failure
        }
        guard !pieces.isEmpty else {
            condition.unlock()
            return 0
        }
        let count = pieces[0].withUnsafeBytes { piece in
            let count = min(buffer.count, piece.count - head)
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: piece[head..<(head + count)]))
            return count
        }
        head += count
        if head == pieces[0].count {
            pieces.removeFirst()
            head = 0
        }
        queued -= count
        var producer: CheckedContinuation<Void, Never>?
        if queued < limit {
            producer = waitingProducer
            waitingProducer = nil
        }
        condition.unlock()
        producer?.resume()
        return count
    }
}
