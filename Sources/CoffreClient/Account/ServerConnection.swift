import HTTPServer

/// Makes a transport to `server` that trusts its certificate as `trust` says (nil for
/// `http://`). The command-line tools pass one over `HTTPClient`; tests pass in-process ones.
public typealias APITransportFactory = @Sendable (_ server: ServerURL, _ trust: TLSClientTrust?) throws(APIClientError) -> any APITransport

/// A transport to one server with its certificate trust settled (docs/tls.md, "Client trust
/// and pinning"):
///
/// - `http://` (loopback only): no TLS;
/// - a CA file: the chain must verify against it and the name must match;
/// - a pin from an earlier connection: the certificate must have that SHA-256;
/// - neither (first use): one unverified probe (`GET /healthz`) learns the certificate's
///   fingerprint, and every request after it is pinned to that fingerprint, so the whole
///   command talks to the certificate that is shown and stored.
public struct ServerConnection: Sendable {
    /// The server.
    public let server: ServerURL
    /// The transport, with the trust in effect.
    public let transport: any APITransport
    /// The fingerprint in effect (stored or just learned); nil for http:// or a CA file.
    public let pin: [UInt8]?
    /// True when `pin` was learned on this connection (first use): show it and store it.
    public let pinIsNew: Bool
    /// The CA file in effect.
    public let caFile: String?

    /// Settles the trust for `server` and returns the connection.
    public static func open(
        _ server: ServerURL, pinned: [UInt8]?, caFile: String?, factory: APITransportFactory
    ) async throws(APIClientError) -> ServerConnection {
        guard server.scheme == .https else {
            return ServerConnection(server: server, transport: try factory(server, nil), pin: nil, pinIsNew: false, caFile: nil)
        }
        if let caFile {
            return ServerConnection(
                server: server, transport: try factory(server, .certificateAuthorities(file: caFile)), pin: nil, pinIsNew: false,
                caFile: caFile)
        }
        if let pinned {
            return ServerConnection(
                server: server, transport: try factory(server, .pinnedCertificate(sha256: pinned)), pin: pinned, pinIsNew: false,
                caFile: nil)
        }
        let probe = try await factory(server, .insecureNoVerification).send(APIRequest(method: .get, target: "/healthz"))
        guard let learned = probe.peerCertificateSHA256, learned.count == 32 else {
            throw .tls(server: server.description, reason: "the server presented no certificate to pin")
        }
        return ServerConnection(
            server: server, transport: try factory(server, .pinnedCertificate(sha256: learned)), pin: learned, pinIsNew: true,
            caFile: nil)
    }
}
