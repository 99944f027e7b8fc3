import HTTPTypes

/// The HTTP version of a request.
public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    /// Always 1 for requests this server accepts.
    public var major: Int
    /// 0 or 1.
    public var minor: Int
    /// HTTP/1.0.
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    /// HTTP/1.1.
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)
    /// `HTTP/1.1` style text.
    public var description: String { "HTTP/\(major).\(minor)" }
}

/// One request as a handler sees it: the head, and the body as a stream.
public struct HTTPServerRequest: Sendable {
    /// The method; any token is accepted (WebDAV uses PROPFIND, MKCOL, LOCK, ...).
    public var method: HTTPRequest.Method
    /// The request target exactly as received.
    public var target: String
    /// The path, still percent-encoded, without the query; `*` for `OPTIONS *`.
    public var path: String
    /// The query after `?`, still percent-encoded; nil when absent. Never logged.
    public var query: String?
    /// The header fields, in the order received.
    public var headerFields: HTTPFields
    /// HTTP/1.0 or HTTP/1.1.
    public var version: HTTPVersion
    /// The client's address: for throttling; logged only when the configuration allows it.
    public var remoteAddress: HTTPRemoteAddress
    /// True when the connection is encrypted (TLS).
    public var isSecure: Bool
    /// Parameters of the matched route pattern, percent-decoded (set by `HTTPRouter`).
    public var pathParameters: HTTPPathParameters
    /// The matched route pattern, e.g. `/v1/vaults/{vault}`; used by the access log instead of
    /// the path (which holds identifiers).
    public var routePattern: String?
    /// The body, streamed with back-pressure.
    public var body: HTTPRequestBody

    /// A request built by hand (for testing handlers): the path and query are split from
    /// `target` as the server does. Throws 400 for a target the server would refuse.
    public init(
        method: HTTPRequest.Method, target: String, headerFields: HTTPFields = [:], version: HTTPVersion = .http1_1,
        remoteAddress: HTTPRemoteAddress = .unspecified, isSecure: Bool = false, body: HTTPRequestBody = .empty
    ) throws(HTTPServerError) {
        let parts = try HTTPRequestTarget.split(target, method: method.rawValue)
        var headerFields = headerFields
        if let authority = parts.authority { headerFields[.requestHost] = authority }
        self.init(
            method: method, target: target, path: parts.path, query: parts.query, headerFields: headerFields,
            version: version, remoteAddress: remoteAddress, isSecure: isSecure, pathParameters: HTTPPathParameters(),
            routePattern: nil, body: body)
    }

    init(
        method: HTTPRequest.Method, target: String, path: String, query: String?, headerFields: HTTPFields,
        version: HTTPVersion, remoteAddress: HTTPRemoteAddress, isSecure: Bool, pathParameters: HTTPPathParameters,
        routePattern: String?, body: HTTPRequestBody
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.headerFields = headerFields
        self.version = version
        self.remoteAddress = remoteAddress
        self.isSecure = isSecure
        self.pathParameters = pathParameters
        self.routePattern = routePattern
        self.body = body
    }
}

/// Named parameters captured from a route pattern, percent-decoded.
public struct HTTPPathParameters: Sendable, Equatable {
    private var entries: [(name: String, value: String)] = []

    public init() {}

    /// The value captured for `name`, or nil.
    public subscript(_ name: String) -> String? {
        entries.first { $0.name == name }?.value
    }

    /// Every captured name, in pattern order.
    public var names: [String] { entries.map(\.name) }

    mutating func reserveCapacity(_ count: Int) {
        entries.reserveCapacity(count)
    }

    mutating func append(_ name: String, _ value: String) {
        entries.append((name, value))
    }

    /// Same names and values in the same order.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.name == $1.name && $0.value == $1.value }
    }
}

extension HTTPField.Name {
    /// The HTTP/1.1 Host field (HTTPTypes models it as the `:authority` pseudo field, which
    /// this server does not use: requests keep their fields as received).
    static let requestHost = HTTPField.Name("Host")!
}
