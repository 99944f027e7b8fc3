/// Where the gateway listens: `HOST:PORT` with a loopback host (`127.0.0.0/8`, `[::1]`,
/// `localhost`). Any other address is refused: the gateway has no TLS, and its content is
/// decrypted.
public struct DAVListenAddress: Sendable, Equatable {
    /// The host to bind.
    public let host: String
    /// The port (0: any free one).
    public let port: Int

    /// Parses `127.0.0.1:8088`, `[::1]:8088` or `localhost:8088`.
    public init(parsing text: String) throws(AccountError) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw .invalidArgument("--listen: expected HOST:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw .invalidArgument("--listen: expected HOST:PORT") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65_535).contains(port) else { throw .invalidArgument("--listen: the port must be 0...65535") }
        guard Self.isLoopback(String(host)) else {
            throw .invalidArgument("--listen: only a loopback address is allowed (coffre dav has no TLS and serves decrypted files)")
        }
        self.host = host == "localhost" ? "127.0.0.1" : String(host)
        self.port = port
    }

    /// `127.0.0.1` on any free port.
    public static let anyLoopbackPort = DAVListenAddress(host: "127.0.0.1", port: 0)

    private init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `localhost`, `::1`, or a dotted IPv4 address in 127.0.0.0/8 (RFC 1122 §3.2.1.3).
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && UInt8($0) != nil }) else {
            return false
        }
        return parts[0] == "127"
    }
}
