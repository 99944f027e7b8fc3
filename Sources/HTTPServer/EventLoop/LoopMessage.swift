/// A reference that crosses threads but is only dereferenced on its event loop's thread.
///
/// `@unchecked Sendable`: tasks carry it back to the loop inside a `LoopMessage`; only the
/// loop thread, which owns the referenced object, reads `value`.
struct LoopBound<Value: AnyObject>: @unchecked Sendable {
    let value: Value
}

/// Work handed to an event loop from other threads (handler tasks, body consumers, the server).
enum LoopMessage: Sendable {
    /// A handler's response for request `serial` on the connection.
    case response(LoopBound<HTTPConnection>, serial: UInt64, response: HTTPServerResponse)
    /// The body consumer wants more bytes (resume reading, or send `100 Continue`).
    case bodyDemand(LoopBound<HTTPConnection>, serial: UInt64)
    /// A streaming response writer's next bytes; the continuation resumes when they are queued
    /// below the high-water mark.
    case streamWrite(LoopBound<HTTPConnection>, serial: UInt64, bytes: [UInt8], continuation: UnsafeContinuation<Void, any Error>)
    /// A streaming response writer returned (`failed`: it threw).
    case streamEnd(LoopBound<HTTPConnection>, serial: UInt64, failed: Bool)
    /// Stop accepting, close idle connections, finish in-flight ones until `deadline`.
    case shutdown(deadline: UInt64)
    /// A job of a Swift task whose executor preference is this loop (handler and writer tasks):
    /// it runs on the loop thread, so handlers never wait for, or starve, the cooperative pool.
    case job(UnownedJob)
}
