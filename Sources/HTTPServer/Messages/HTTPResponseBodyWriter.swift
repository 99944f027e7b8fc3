/// Writes the body of a `.stream` response. `write` suspends while the connection has more
/// than `HTTPLimits.responseBufferBytes` queued (back-pressure), and throws
/// `HTTPServerError.connectionClosed` once the client is gone.
public struct HTTPResponseBodyWriter: Sendable {
    let loop: EventLoop
    let connection: LoopBound<HTTPConnection>
    let serial: UInt64

    /// Queues `bytes` on the connection; returns when the queue is below the high-water mark.
    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
            loop.submit(.streamWrite(connection, serial: serial, bytes: bytes, continuation: continuation))
        }
    }
}
