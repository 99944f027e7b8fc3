import CSystemShims
import Glibc

/// Owns one non-blocking listening TCP socket bound with `SO_REUSEPORT`, so each event loop has
/// its own and the kernel spreads new connections across them (socket(7)).
final class ListeningSocket {
    let descriptor: Int32
    /// The port actually bound (useful after binding port 0).
    let port: Int
    private var isClosed = false

    /// Binds `host:port` (an IPv4 or IPv6 literal, or a name such as `localhost`, resolved with
    /// getaddrinfo(3)) and listens. An IPv6 wildcard also accepts IPv4 (IPV6_V6ONLY off).
    init(host: String, port: Int, backlog: Int32) throws(HTTPServerError) {
        guard (0...65535).contains(port) else { throw .invalidConfiguration("port out of range") }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let lookup = getaddrinfo(host, String(port), &hints, &list)
        guard lookup == 0, let first = list else {
            throw .invalidConfiguration("cannot resolve listen host: \(String(cString: gai_strerror(lookup)))")
        }
        defer { freeaddrinfo(list) }
        let family = first.pointee.ai_family
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCall.error("socket") }
        do throws(HTTPServerError) {
            try Self.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)")
            try Self.setOption(fd, SOL_SOCKET, SO_REUSEPORT, 1, "setsockopt(SO_REUSEPORT)")
            if family == AF_INET6 {
                try Self.setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 0, "setsockopt(IPV6_V6ONLY)")
            }
            guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else { throw SystemCall.error("bind") }
            guard listen(fd, backlog) == 0 else { throw SystemCall.error("listen") }
            self.port = try Self.boundPort(fd)
        } catch {
            SystemCall.close(fd)
            throw error
        }
        descriptor = fd
    }

    deinit { close() }

    /// Accepts one pending connection as a non-blocking, close-on-exec socket (accept4(2)) with
    /// TCP_NODELAY set. Returns nil when none is pending (EAGAIN) or the peer already left.
    func accept() throws(HTTPServerError) -> (descriptor: Int32, address: HTTPRemoteAddress)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                SystemCall.retryingOnInterrupt { coffre_accept_nonblocking(descriptor, address, &length) }
            }
        }
        guard fd >= 0 else {
            switch errno {
            case EAGAIN, EWOULDBLOCK, ECONNABORTED, EPROTO: return nil
            default: throw SystemCall.error("accept4")
            }
        }
        var one: Int32 = 1
        // Latency: responses are written whole, so Nagle's algorithm only delays them (tcp(7)).
        // Best effort: on failure the connection works, only slower.
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return (fd, HTTPRemoteAddress(storage))
    }

    /// Closes the socket. Idempotent.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        SystemCall.close(descriptor)
    }

    private static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32, _ call: String) throws(HTTPServerError) {
        var value = value
        guard setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw SystemCall.error(call)
        }
    }

    private static func boundPort(_ fd: Int32) throws(HTTPServerError) -> Int {
        try HTTPRemoteAddress.localEnd(of: fd).port
    }
}
