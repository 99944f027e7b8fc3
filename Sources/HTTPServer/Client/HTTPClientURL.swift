import Glibc

/// The parts of an absolute `http` or `https` URL the client needs, validated so nothing in
/// them can break out of the request line or the Host field.
struct HTTPClientURL {
    var scheme: HTTPClientRequest.Scheme
    /// Lowercased DNS name, or an IP literal (IPv6 without brackets).
    var host: String
    var port: Int
    /// Origin-form target: `/path?query`.
    var pathAndQuery: String

    /// Longest URL accepted, in bytes.
    static let maximumLength = 8 * 1024

    /// Parses `scheme "://" host [":" port] [path-abempty] ["?" query] ["#" fragment]`
    /// (RFC 3986 §3, RFC 9110 §4.2).
    init(parsing url: String) throws(HTTPClientError) {
        let bytes = Array(url.utf8)
        guard bytes.count <= Self.maximumLength else { throw .invalidRequest(reason: "URL too long") }
        let schemeEnd = bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.count
        let schemeText = String(decoding: bytes[0..<schemeEnd], as: UTF8.self).lowercased()
        guard let scheme = HTTPClientRequest.Scheme(rawValue: schemeText),
            bytes.count >= schemeEnd + 3, bytes[schemeEnd + 1] == UInt8(ascii: "/"), bytes[schemeEnd + 2] == UInt8(ascii: "/")
        else { throw .invalidRequest(reason: "URL scheme must be http:// or https://") }
        let authorityStart = schemeEnd + 3
        let authorityEnd = bytes[authorityStart...].firstIndex {
            $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#")
        } ?? bytes.count
        // RFC 9110 §4.2.4: credentials in the URL are deprecated and would leak into logs.
        guard !bytes[authorityStart..<authorityEnd].contains(UInt8(ascii: "@")) else {
            throw .invalidRequest(reason: "user information in URL")
        }
        let (host, port) = try Self.parseAuthority(bytes[authorityStart..<authorityEnd], scheme: scheme)
        // RFC 3986 §3.5: the fragment stays with the client; it is never sent.
        let targetEnd = bytes[authorityEnd...].firstIndex(of: UInt8(ascii: "#")) ?? bytes.count
        var target = String(decoding: bytes[authorityEnd..<targetEnd], as: UTF8.self)
        // RFC 9112 §3.2.1: an empty path is sent as "/".
        if target.isEmpty || target.utf8.first == UInt8(ascii: "?") { target = "/" + target }
        self.scheme = scheme
        self.host = host
        self.port = port
        self.pathAndQuery = try Self.validatedTarget(target)
    }

    /// Host and port of an authority: a reg-name, an IPv4 literal or a bracketed IPv6 literal,
    /// then an optional port (RFC 3986 §3.2.2, §3.2.3).
    private static func parseAuthority(_ bytes: ArraySlice<UInt8>, scheme: HTTPClientRequest.Scheme) throws(HTTPClientError) -> (String, Int) {
        var hostBytes = bytes[...]
        var portBytes: ArraySlice<UInt8>?
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { throw .invalidRequest(reason: "unterminated IPv6 literal") }
            hostBytes = bytes[(bytes.startIndex + 1)..<close]
            let rest = bytes[(close + 1)...]
            if !rest.isEmpty {
                guard rest.first == UInt8(ascii: ":") else { throw .invalidRequest(reason: "invalid authority") }
                portBytes = rest.dropFirst()
            }
        } else if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            hostBytes = bytes[bytes.startIndex..<colon]
            portBytes = bytes[(colon + 1)...]
        }
        let host = try validatedHost(String(decoding: hostBytes, as: UTF8.self))
        guard let portBytes, !portBytes.isEmpty else { return (host, scheme.defaultPort) }
        guard portBytes.count <= 5, portBytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let port = Int(String(decoding: portBytes, as: UTF8.self)), (1...65535).contains(port)
        else { throw .invalidRequest(reason: "invalid port") }
        return (host, port)
    }

    /// A host for the Host field and for connecting: an IPv6 literal (inet_pton(3)), or a
    /// name of letters, digits, `-`, `.` and `_` (an IPv4 literal is one), at most 253 bytes.
    /// Returned lowercased (host names are case-insensitive, RFC 3986 §3.2.2).
    static func validatedHost(_ host: String) throws(HTTPClientError) -> String {
        guard !host.isEmpty, host.utf8.count <= 253 else { throw .invalidRequest(reason: "invalid host") }
        if host.utf8.contains(UInt8(ascii: ":")) {
            var address = in6_addr()
            guard inet_pton(AF_INET6, host, &address) == 1 else { throw .invalidRequest(reason: "invalid IPv6 literal") }
            return host.lowercased()
        }
        for byte in host.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                continue
            default:
                throw .invalidRequest(reason: "invalid host")
            }
        }
        return host.lowercased()
    }

    /// An origin-form target (RFC 9112 §3.2.1): starts with `/`, visible ASCII only, so no
    /// space, CR, LF or NUL can split the request line; no fragment.
    static func validatedTarget(_ target: String) throws(HTTPClientError) -> String {
        guard target.utf8.first == UInt8(ascii: "/") else { throw .invalidRequest(reason: "target must start with /") }
        guard target.utf8.count <= maximumLength else { throw .invalidRequest(reason: "target too long") }
        for byte in target.utf8 where !HTTPByteClass.isTargetChar(byte) || byte == UInt8(ascii: "#") {
            throw .invalidRequest(reason: "invalid character in target")
        }
        return target
    }
}
