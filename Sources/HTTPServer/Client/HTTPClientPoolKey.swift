/// What makes two requests able to share a connection: scheme, host, port and, for HTTPS, the
/// trust the connection was verified with (a connection checked against one pin must not serve
/// a request that asked for another).
struct HTTPClientPoolKey: Hashable, Sendable {
    let scheme: HTTPClientRequest.Scheme
    /// The host as in the URL, lowercased, IPv6 literals without brackets.
    let host: String
    let port: Int
    /// nil for plain HTTP.
    let trust: TLSClientTrust?

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.scheme == rhs.scheme && lhs.host == rhs.host && lhs.port == rhs.port && lhs.trust == rhs.trust
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(scheme)
        hasher.combine(host)
        hasher.combine(port)
        switch trust {
        case nil: hasher.combine(0)
        case .systemTrustStore: hasher.combine(1)
        case .certificateAuthorities(let file):
            hasher.combine(2)
            hasher.combine(file)
        case .pinnedCertificate(let sha256):
            hasher.combine(3)
            hasher.combine(sha256)
        case .insecureNoVerification: hasher.combine(4)
        }
    }
}
