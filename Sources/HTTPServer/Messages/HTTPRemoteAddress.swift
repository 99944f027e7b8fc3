import Glibc

/// The IP address and port of a client, kept as raw bytes and formatted only on demand.
///
/// For throttling and, when `HTTPServerConfiguration.logClientAddresses` is on, logging; it is
/// never logged otherwise.
public struct HTTPRemoteAddress: Sendable, Hashable, CustomStringConvertible {
    /// True for IPv6 (an IPv4-mapped IPv6 address counts as IPv4).
    public let isIPv6: Bool
    /// The 16 address bytes (IPv4 uses the first 4), as two big-endian halves.
    private let high: UInt64
    private let low: UInt64
    /// The TCP port.
    public let port: Int

    /// 0.0.0.0 port 0: the address of a request that did not come from a socket.
    public static let unspecified = HTTPRemoteAddress(isIPv6: false, high: 0, low: 0, port: 0)

    private init(isIPv6: Bool, high: UInt64, low: UInt64, port: Int) {
        self.isIPv6 = isIPv6
        self.high = high
        self.low = low
        self.port = port
    }

    init(_ storage: sockaddr_storage) {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let address = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self) }
            isIPv6 = false
            high = UInt64(UInt32(bigEndian: address.sin_addr.s_addr)) << 32
            low = 0
            port = Int(UInt16(bigEndian: address.sin_port))
        case AF_INET6:
            let address = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) }
            let bytes = withUnsafeBytes(of: address.sin6_addr) { Array($0) }
            let upper = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let lower = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            port = Int(UInt16(bigEndian: address.sin6_port))
            if upper == 0 && lower >> 32 == 0xFFFF {
                isIPv6 = false
                high = (lower & 0xFFFF_FFFF) << 32
                low = 0
            } else {
                isIPv6 = true
                high = upper
                low = lower
            }
        default:
            isIPv6 = false
            high = 0
            low = 0
            port = 0
        }
    }

    /// Whether the peer is on this host's loopback: 127.0.0.0/8 (also IPv4-mapped) or ::1
    /// (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3).
    public var isLoopback: Bool {
        isIPv6 ? (high == 0 && low == 1) : (high >> 56 == 127)
    }

    /// Whether `other` is the same IP address (the ports aside).
    public func hasSameIP(as other: HTTPRemoteAddress) -> Bool {
        isIPv6 == other.isIPv6 && high == other.high && low == other.low
    }

    /// Whether a connection with this peer address, on the socket `descriptor`, stays on this
    /// host: the peer is a loopback address, or it is the socket's own address — a connection
    /// to one of the host's own addresses (its LAN address, say) goes over the loopback
    /// interface too (the kernel's `local` routing table, ip-route(8)). Costs a getsockname(2)
    /// when the peer is not loopback.
    public func isOnThisHost(connectedOn descriptor: Int32) -> Bool {
        if isLoopback { return true }
        guard let local = try? Self.localEnd(of: descriptor) else { return false }
        return hasSameIP(as: local)
    }

    /// The own address of the socket `descriptor` (getsockname(2)): 0.0.0.0 port 0 for a
    /// socket of another family, which equals no peer's address.
    static func localEnd(of descriptor: Int32) throws(HTTPServerError) -> HTTPRemoteAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0 else { throw SystemCall.error("getsockname") }
        return HTTPRemoteAddress(storage)
    }

    /// The address bytes: 4 for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        let all = (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
        return isIPv6 ? all : Array(all.prefix(4))
    }

    /// The address in text form (inet_ntop(3)), without the port.
    public var description: String {
        var input = bytes
        var output = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = isIPv6 ? AF_INET6 : AF_INET
        guard inet_ntop(family, &input, &output, socklen_t(output.count)) != nil else { return "?" }
        return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
