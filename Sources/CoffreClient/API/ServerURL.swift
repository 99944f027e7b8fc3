/// The address of a `coffred`: `http://` or `https://`, a host and a port, nothing else.
///
/// Plain `http://` is accepted only for a loopback host: anything else would send invite
/// codes, authKeys and tokens in clear over the network. A path, query, fragment or user
/// information is refused, so the stored URL is exactly what `coffred` prints.
public struct ServerURL: Sendable, Hashable, CustomStringConvertible {
    /// `http` or `https`.
    public enum Scheme: String, Sendable {
        case http
        case https
    }

    /// The scheme.
    public let scheme: Scheme
    /// A lowercased DNS name or IPv4 literal, or an IPv6 literal without brackets.
    public let host: String
    /// The TCP port.
    public let port: Int

    /// Longest URL accepted.
    static let maximumLength = 2048

    /// Parses `scheme://host[:port][/]` (RFC 3986 §3); throws `.invalidServerURL` with the rule
    /// that failed.
    public init(parsing text: String) throws(APIClientError) {
        guard text.utf8.count <= Self.maximumLength else { throw .invalidServerURL(reason: "longer than \(Self.maximumLength) bytes") }
        let scheme: Scheme
        let rest: Substring
        if text.lowercased().hasPrefix("https://") {
            scheme = .https
            rest = text.dropFirst("https://".count)
        } else if text.lowercased().hasPrefix("http://") {
            scheme = .http
            rest = text.dropFirst("http://".count)
        } else {
            throw .invalidServerURL(reason: "it must start with https:// (or http:// for a server on this machine)")
        }
        var authority = rest
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        guard !authority.contains(where: { "/?#".contains($0) }) else {
            throw .invalidServerURL(reason: "give only the scheme, host and port, without a path, query or fragment")
        }
        // RFC 9110 §4.2.4: user information in http(s) URLs is deprecated; it would leak.
        guard !authority.contains("@") else { throw .invalidServerURL(reason: "user information (user@) is not allowed") }
        let (host, port) = try Self.split(authority, defaultPort: scheme == .https ? 443 : 80)
        guard scheme == .https || Self.isLoopback(host) else {
            throw .invalidServerURL(reason: "plain http:// is allowed only for a server on this machine (127.0.0.1, ::1, localhost); use https://")
        }
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// `scheme://host:port`, with brackets around an IPv6 literal.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(scheme.rawValue)://\(shownHost):\(port)"
    }

    /// True for `localhost`, 127.0.0.0/8 and ::1.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { part in
            part.count <= 3 && part.allSatisfy(\.isASCII) && UInt8(part) != nil
        }
    }

    /// Host and port of an authority (RFC 3986 §3.2.2, §3.2.3).
    private static func split(_ authority: Substring, defaultPort: Int) throws(APIClientError) -> (String, Int) {
        var hostPart = authority
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidServerURL(reason: "unterminated IPv6 literal") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidServerURL(reason: "unexpected text after the IPv6 literal") }
                portPart = after.dropFirst()
            }
            guard hostPart.contains(":"), hostPart.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw .invalidServerURL(reason: "invalid IPv6 literal")
            }
        } else if let colon = authority.firstIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        let host = hostPart.lowercased()
        guard !host.isEmpty, host.utf8.count <= 253 else { throw .invalidServerURL(reason: "the host is missing or too long") }
        if !host.contains(":") {
            guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) else {
                throw .invalidServerURL(reason: "the host holds characters other than letters, digits, '-' and '.'")
            }
        }
        guard let portPart else { return (host, defaultPort) }
        guard (1...5).contains(portPart.count), portPart.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(portPart), (1...65535).contains(port)
        else { throw .invalidServerURL(reason: "the port must be a number from 1 to 65535") }
        return (host, port)
    }
}
