/// One HTTP exchange with `coffred` as the API layer sees it: a request goes out, the whole
/// (bounded) answer comes back. The real implementation runs over `HTTPClient`; tests plug in a
/// transport that calls the server's router in-process.
///
/// A transport is bound to one server (`ServerURL`) and one way of trusting it; it throws only
/// `APIClientError` (`.unreachable`, `.tls`, `.badResponse` for an answer it cannot read).
public protocol APITransport: Sendable {
    /// Sends `request` and returns the status, header fields and body of the answer.
    func send(_ request: APIRequest) async throws(APIClientError) -> APIResponse
}

/// A request to one of the JSON routes of docs/protocol.md.
public struct APIRequest: Sendable, Equatable {
    /// The methods the API uses.
    public enum Method: String, Sendable {
        case get = "GET"
        case post = "POST"
        case put = "PUT"
        case delete = "DELETE"
    }

    /// The method.
    public var method: Method
    /// Origin-form target (RFC 9112 §3.2.1): the path and an optional `?query`, already
    /// percent-encoded.
    public var target: String
    /// Sent as `Authorization: Bearer <token>` (RFC 6750 §2.1) when present.
    public var bearerToken: String?
    /// A JSON body (`Content-Type: application/json`), or nil for none.
    public var jsonBody: [UInt8]?
    /// How long the answer may keep the connection silent; nil for the transport's default.
    /// Admin maintenance calls (GC, fsck, backup) answer only when their work is done.
    public var readIdleTimeout: Duration?

    /// A request as given.
    public init(method: Method, target: String, bearerToken: String? = nil, jsonBody: [UInt8]? = nil) {
        self.method = method
        self.target = target
        self.bearerToken = bearerToken
        self.jsonBody = jsonBody
    }

    /// The header fields a transport sends besides its own (`Host`, framing, `User-Agent`).
    public var headerFields: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [("Accept", "application/json")]
        if let bearerToken { fields.append(("Authorization", "Bearer " + bearerToken)) }
        if jsonBody != nil { fields.append(("Content-Type", "application/json")) }
        return fields
    }
}

/// A complete answer.
public struct APIResponse: Sendable {
    /// Largest body a transport accepts: the biggest JSON answer (an audit page of 1000
    /// entries, a user list) is well under it.
    public static let maximumBodyBytes = 8 << 20

    /// The status code.
    public var status: Int
    /// Header fields in the order received.
    public var headerFields: [(name: String, value: String)]
    /// The body, at most `maximumBodyBytes`.
    public var body: [UInt8]
    /// For HTTPS, the SHA-256 of the server's leaf certificate (DER), to pin on first use.
    public var peerCertificateSHA256: [UInt8]?

    /// An answer as given.
    public init(status: Int, headerFields: [(name: String, value: String)] = [], body: [UInt8] = [], peerCertificateSHA256: [UInt8]? = nil) {
        self.status = status
        self.headerFields = headerFields
        self.body = body
        self.peerCertificateSHA256 = peerCertificateSHA256
    }

    /// The first value of the field `name` (case-insensitive, RFC 9110 §5.1).
    public func headerField(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headerFields.first { $0.name.lowercased() == wanted }?.value
    }
}
