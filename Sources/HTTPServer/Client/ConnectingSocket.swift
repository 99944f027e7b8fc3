import Glibc

/// Owns one non-blocking TCP socket from socket(2) until it is connected and handed to a
/// transport (`takeDescriptor()`), or closes it in deinit.
final class ConnectingSocket {
    /// How one connect attempt ended.
    enum Outcome {
        case connected
        case refused
        case timedOut
        case failed(code: Int32)
    }

    private var descriptor: Int32

    /// A non-blocking, close-on-exec stream socket of `family` with TCP_NODELAY.
    init(family: Int32) throws(HTTPClientError) {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(family, type, 0)
        guard fd >= 0 else { throw .system(call: "socket", code: errno, message: String(cString: strerror(errno))) }
        descriptor = fd
        var one: Int32 = 1
        // tcp(7): requests and body chunks are written whole, so Nagle's algorithm would only
        // delay them. Best effort: without it the connection works, only slower.
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit {
        if descriptor >= 0 { SystemCall.close(descriptor) }
    }

    /// connect(2) without blocking: EINPROGRESS, then wait until the socket is writable or
    /// `deadline` passes, then read the result from SO_ERROR.
    func connect(to address: HTTPClientResolver.Address, loop: HTTPClientEventLoop, deadline: UInt64) async throws(HTTPClientError) -> Outcome {
        var storage = address.storage
        let result = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, address.length) }
        }
        if result == 0 { return .connected }
        // EINTR: the connection still proceeds asynchronously (connect(2)), like EINPROGRESS.
        guard errno == EINPROGRESS || errno == EINTR else { return Self.outcome(errno) }
        switch await loop.wait(for: .writable, on: descriptor, deadline: deadline) {
        case .ready: break
        case .timedOut: return .timedOut
        case .cancelled: throw .cancelled
        case .shutDown: throw .shutDown
        }
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &code, &length) == 0 else { return .failed(code: errno) }
        return code == 0 ? .connected : Self.outcome(code)
    }

    /// Gives up ownership of the connected descriptor.
    func takeDescriptor() -> Int32 {
        defer { descriptor = -1 }
        return descriptor
    }

    private static func outcome(_ code: Int32) -> Outcome {
        code == ECONNREFUSED ? .refused : .failed(code: code)
    }
}
