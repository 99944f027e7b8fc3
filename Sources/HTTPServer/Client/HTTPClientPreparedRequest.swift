import HTTPTypes

/// A request checked and serialized once, before any connection is used: the pool key, the
/// head bytes (with and without `Expect: 100-continue`) and how the body goes out.
struct HTTPClientPreparedRequest: Sendable {
    /// How the body is framed on the wire (RFC 9112 §6).
    enum Framing: Equatable {
        case none
        case contentLength(Int64)
        case chunked
    }

    let key: HTTPClientPoolKey
    let method: HTTPRequest.Method
    let body: HTTPClientRequestBody
    let framing: Framing
    /// The request line and header section, ending with the empty line.
    let head: [UInt8]
    /// The same head with `Expect: 100-continue`, when the request asked for it and has content.
    let headExpectingContinue: [UInt8]?
    /// Idle-read timeout in nanoseconds.
    let readIdleTimeout: UInt64
    let isHEAD: Bool
    /// Whether a failure on a stale reused connection may be retried on a fresh one.
    let isRetryable: Bool
    /// The caller sent `Connection: close`: the connection ends after this request
    /// (RFC 9112 §9.6).
    let closesConnection: Bool

    /// Fields the client writes itself (RFC 9112 §3.2 Host, §6 framing; RFC 9110 §10.1.1).
    private static let managedFields: [HTTPField.Name] = [.contentLength, .transferEncoding, .expect, .requestHost]

    init(_ request: HTTPClientRequest, configuration: HTTPClientConfiguration) throws(HTTPClientError) {
        var host = request.host
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        host = try HTTPClientURL.validatedHost(host)
        guard (1...65535).contains(request.port) else { throw .invalidRequest(reason: "invalid port") }
        let target = try HTTPClientURL.validatedTarget(request.pathAndQuery)
        let trust = request.scheme == .https ? (request.tlsTrust ?? configuration.tlsTrust) : nil
        key = HTTPClientPoolKey(scheme: request.scheme, host: host, port: request.port, trust: trust)
        method = request.method
        body = request.body
        isHEAD = request.method == .head
        readIdleTimeout = SystemCall.nanoseconds(request.readIdleTimeout ?? configuration.readIdleTimeout)

        switch request.body {
        case .none:
            // RFC 9110 §8.6: a user agent sends Content-Length: 0 when the method defines a
            // meaning for content (POST, PUT, PATCH) and there is none; never for GET and kin.
            framing = ["POST", "PUT", "PATCH"].contains(request.method.rawValue) ? .contentLength(0) : .none
        case .bytes(let bytes):
            framing = .contentLength(Int64(bytes.count))
        case .stream(let length, _):
            if let length {
                guard length >= 0 else { throw .invalidRequest(reason: "negative body length") }
                framing = .contentLength(length)
            } else {
                framing = .chunked
            }
        }
        var isReplayable = true
        if case .stream = request.body { isReplayable = false }
        isRetryable = request.isIdempotent && isReplayable
        closesConnection = request.headerFields[values: .connection].contains { value in
            value.split(separator: ",").contains { $0.lowercased().filter { $0 != " " && $0 != "\t" } == "close" }
        }

        var text: [UInt8] = []
        text.reserveCapacity(256 + request.headerFields.count * 48)
        // RFC 9112 §3: request-line = method SP request-target SP HTTP-version CRLF. The method
        // is a token (HTTPTypes checks it), the target visible ASCII (checked above).
        text.append(contentsOf: request.method.rawValue.utf8)
        text.append(HTTPByteClass.space)
        text.append(contentsOf: target.utf8)
        text.append(contentsOf: " HTTP/1.1\r\n".utf8)
        // RFC 9112 §3.2: Host = uri-host [":" port], the port omitted when it is the default;
        // an IPv6 literal in brackets (RFC 3986 §3.2.2).
        text.append(contentsOf: "Host: ".utf8)
        text.append(contentsOf: (host.contains(":") ? "[\(host)]" : host).utf8)
        if request.port != request.scheme.defaultPort { text.append(contentsOf: ":\(request.port)".utf8) }
        text.append(contentsOf: "\r\n".utf8)
        if request.headerFields[.userAgent] == nil, let userAgent = configuration.userAgent {
            try Self.append(name: "User-Agent", value: userAgent, to: &text)
        }
        for field in request.headerFields where !Self.managedFields.contains(field.name) {
            try Self.append(name: field.name.rawName, value: field.value, to: &text)
        }
        switch framing {
        case .none: break
        case .contentLength(let length): text.append(contentsOf: "Content-Length: \(length)\r\n".utf8)
        case .chunked: text.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
        }
        let end: [UInt8] = Array("\r\n".utf8)
        head = text + end
        // RFC 9110 §10.1.1: a client MUST NOT send 100-continue without content.
        if request.expectContinue && framing != .none && framing != .contentLength(0) {
            headExpectingContinue = text + Array("Expect: 100-continue\r\n\r\n".utf8)
        } else {
            headExpectingContinue = nil
        }
    }

    /// Appends `name: value` CRLF after checking that neither can end the line or the head
    /// early: a token name (RFC 9110 §5.1) and a value without CTLs (RFC 9110 §5.5).
    private static func append(name: String, value: String, to text: inout [UInt8]) throws(HTTPClientError) {
        guard !name.isEmpty, name.utf8.allSatisfy(HTTPByteClass.isTokenChar) else {
            throw .invalidRequest(reason: "invalid field name")
        }
        guard value.utf8.allSatisfy(HTTPByteClass.isFieldValueChar) else {
            throw .invalidRequest(reason: "invalid field value")
        }
        text.append(contentsOf: name.utf8)
        text.append(contentsOf: ": ".utf8)
        text.append(contentsOf: value.utf8)
        text.append(contentsOf: "\r\n".utf8)
    }
}
