import Glibc

/// A `HOST:PORT` address the server binds: an IPv4 literal, a bracketed IPv6 literal or
/// `localhost`. Host names other than `localhost` are refused, so whether an address is loopback
/// (and may therefore run without TLS) is decided from the text alone, never from DNS.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// IP literal without brackets (`127.0.0.1`, `::1`, `0.0.0.0`), or `localhost`.
    public var host: String
    /// TCP port; 0 asks the kernel for a free one.
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080` or `:8080` (all IPv4 interfaces).
    public init(parsing text: String) throws(ConfigurationError) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"),
                text[text.index(after: close)...].hasPrefix(":")
            else { throw .invalid(key: "listen", reason: "expected [IPv6]:PORT") }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw .invalid(key: "listen", reason: "expected HOST:PORT")
            }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            if hostPart.contains(":") {
                throw .invalid(key: "listen", reason: "an IPv6 address must be in brackets: [::1]:PORT")
            }
        }
        guard let port = Int(portPart), (0...65535).contains(port) else {
            throw .invalid(key: "listen", reason: "port must be a number from 0 to 65535")
        }
        let host = hostPart.isEmpty ? "0.0.0.0" : String(hostPart)
        guard host == "localhost" || Self.isIPv4(host) || Self.isIPv6(host) else {
            throw .invalid(key: "listen", reason: "host must be an IP address or localhost")
        }
        self.init(host: host, port: port)
    }

    /// True for `localhost`, 127.0.0.0/8 and `::1`: only this machine can connect.
    public var isLoopback: Bool {
        if host == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { $0.elementsEqual([UInt8](repeating: 0, count: 15) + [1]) }
        }
        return false
    }

    /// The host to bind: `localhost` becomes 127.0.0.1.
    public var bindHost: String { host == "localhost" ? "127.0.0.1" : host }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    private static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    private static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }
}
