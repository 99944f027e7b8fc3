/// How a client decides to trust the server's certificate.
public enum TLSClientTrust: Sendable, Equatable {
    /// The chain must verify against the system's trust store, and the name must match.
    case systemTrustStore
    /// The chain must verify against the CA certificates of a PEM file (only those), and the name
    /// must match.
    case certificateAuthorities(file: String)
    /// The server's leaf certificate must have this SHA-256 fingerprint (32 bytes). The chain and
    /// the name are not checked: the pin alone identifies the server, as an SSH host key does.
    case pinnedCertificate(sha256: [UInt8])
    /// No verification at all. Only for an explicit user request (for instance to show a
    /// fingerprint before pinning it); the connection can be intercepted.
    case insecureNoVerification
}
