import Glibc

/// The TCP congestion control algorithm of one socket (tcp(7), `TCP_CONGESTION`), for a
/// descriptor owned elsewhere (the connection's transport).
///
/// Why the server sets one at all: on a host whose default is BBR (`net.ipv4.tcp_congestion_control`),
/// every connection is paced by the kernel's own timer unless the interface has the fq qdisc,
/// which loopback does not. A loopback flow has no bottleneck to pace for, yet each 4 MiB
/// response was spread over ~45 pacing-timer wake-ups at BBR's estimate of the rate, costing the
/// sender about twice the CPU per response at half the rate (docs/performance.md, Sync API,
/// "4 MiB blob GET: BBR's pacing on loopback"). Reno never paces and is the one algorithm every
/// process may choose (the kernel marks it unrestricted; others need CAP_NET_ADMIN unless listed
/// in `net.ipv4.tcp_allowed_congestion_control`).
enum TCPCongestionControl {
    /// Longest algorithm name the kernel takes (`TCP_CA_NAME_MAX` is 16 with the NUL); a longer
    /// one would be cut short by the kernel and could name another algorithm.
    static let maximumNameBytes = 15

    /// Sets the congestion control algorithm `name` on the TCP socket `descriptor`.
    /// Throws `invalidConfiguration` for an empty or too long name, and the system's error for
    /// a refusal (ENOENT: no such algorithm; EPERM: not allowed to this process; ENOTSOCK, EBADF).
    static func set(_ name: String, on descriptor: Int32) throws(HTTPServerError) {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumNameBytes, !bytes.contains(0) else {
            throw .invalidConfiguration("congestion control name must be 1 to \(maximumNameBytes) bytes")
        }
        let result = bytes.withUnsafeBytes { buffer in
            setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_CONGESTION, buffer.baseAddress, socklen_t(buffer.count))
        }
        guard result == 0 else { throw SystemCall.error("setsockopt(TCP_CONGESTION)") }
    }

    /// The congestion control algorithm of the TCP socket `descriptor`.
    static func current(on descriptor: Int32) throws(HTTPServerError) -> String {
        var name = [UInt8](repeating: 0, count: maximumNameBytes + 1)
        var length = socklen_t(name.count)
        let result = name.withUnsafeMutableBytes { buffer in
            getsockopt(descriptor, Int32(IPPROTO_TCP), TCP_CONGESTION, buffer.baseAddress, &length)
        }
        guard result == 0 else { throw SystemCall.error("getsockopt(TCP_CONGESTION)") }
        return String(decoding: name.prefix(Int(length)).prefix { $0 != 0 }, as: UTF8.self)
    }
}
