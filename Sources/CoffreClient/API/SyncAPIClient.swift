import CoffreProtocol
import Foundation
import HTTPServer
import HTTPTypes

/// A typed client for the sync routes of `coffred` (docs/protocol.md, "Sync") over `HTTPClient`:
/// vaults, members and keys, blobs (streamed both ways, 100-continue, batches), commits, the
/// changes feed with long-poll, history, trash, and the admin GC, fsck and backup calls.
///
/// Every method sends one request and decodes the answer; a refusal is
/// `SyncClientError.server` with the stable error code, an unreadable answer `.badResponse`,
/// a failed exchange `.transport`. Blob bodies are never held whole unless the caller asks for
/// bytes in memory.
public struct SyncAPIClient: Sendable {
    /// The HTTP client (shared; its pool keeps connections alive across calls).
    public let http: HTTPClient
    /// `http(s)://host:port` of the server.
    public let server: ServerAddress
    /// The bearer token: a device token (`cft_…`) for vault routes, an admin token for admin calls.
    public var token: String
    /// TLS trust for HTTPS (a pin, a CA file); nil for the client's default.
    public var tlsTrust: TLSClientTrust?

    /// Largest JSON answer read: a changes page of 5,000 entries with 16 KiB records is about
    /// 110 MB of JSON.
    public static let maximumJSONBytes = 128 << 20

    /// Where the server is.
    public struct ServerAddress: Sendable, Equatable {
        public var scheme: HTTPClientRequest.Scheme
        public var host: String
        public var port: Int

        /// Parses `http://host:port` or `https://host:port` (no path).
        public init(_ url: String) throws(SyncClientError) {
            let request: HTTPClientRequest
            do { request = try HTTPClientRequest(method: .get, url: url) } catch {
                throw .transport(reason: "invalid server URL: \(error)")
            }
            guard request.pathAndQuery == "/" else { throw .transport(reason: "the server URL must not have a path") }
            scheme = request.scheme
            host = request.host
            port = request.port
        }
    }

    /// A client for `server` authenticating with `token`.
    public init(http: HTTPClient, server: ServerAddress, token: String, tlsTrust: TLSClientTrust? = nil) {
        self.http = http
        self.server = server
        self.token = token
        self.tlsTrust = tlsTrust
    }

    /// A request to `target` with the bearer token.
    func request(_ method: HTTPRequest.Method, _ target: String, body: HTTPClientRequestBody = .none, contentType: String? = nil)
        -> HTTPClientRequest
    {
        var fields = HTTPFields()
        fields[.authorization] = "Bearer " + token
        fields[.accept] = "application/json"
        if let contentType { fields[.contentType] = contentType }
        var request = HTTPClientRequest(
            method: method, scheme: server.scheme, host: server.host, port: server.port, pathAndQuery: target,
            headerFields: fields, body: body)
        request.tlsTrust = tlsTrust
        return request
    }

    /// Sends `request` and returns the response, with its body not read yet.
    func send(_ request: HTTPClientRequest) async throws(SyncClientError) -> HTTPClientResponse {
        do {
            return try await http.execute(request)
        } catch let error as HTTPClientError {
            throw .transport(reason: error.description)
        } catch {
            throw .transport(reason: "the request failed")
        }
    }

    /// Sends a JSON request (or none) and decodes the answer from one of `expected`.
    func call<Answer: Decodable>(
        _ method: HTTPRequest.Method, _ target: String, json: (some Encodable)? = nil as Never?,
        expecting expected: Set<Int> = [200], readTimeout: Duration? = nil, as type: Answer.Type = Answer.self
    ) async throws(SyncClientError) -> Answer {
        let body = try await exchange(method, target, json: json, expecting: expected, readTimeout: readTimeout)
        return try Self.decode(Answer.self, from: body.bytes, status: body.status)
    }

    /// Sends a request whose success has no content.
    func callWithoutContent(
        _ method: HTTPRequest.Method, _ target: String, json: (some Encodable)? = nil as Never?,
        expecting expected: Set<Int> = [204]
    ) async throws(SyncClientError) {
        _ = try await exchange(method, target, json: json, expecting: expected, readTimeout: nil)
    }

    /// One exchange with a JSON body (or none); any status outside `expected` becomes an error.
    func exchange(
        _ method: HTTPRequest.Method, _ target: String, json: (some Encodable)?, expecting expected: Set<Int>,
        readTimeout: Duration?
    ) async throws(SyncClientError) -> (status: Int, bytes: [UInt8]) {
        var body = HTTPClientRequestBody.none
        if let json {
            do { body = .bytes(Array(try JSONEncoder().encode(json))) } catch {
                throw .badResponse(status: 0, reason: "the request could not be encoded")
            }
        }
        var outgoing = request(method, target, body: body, contentType: json == nil ? nil : "application/json")
        outgoing.readIdleTimeout = readTimeout
        let response = try await send(outgoing)
        let bytes = try await Self.collect(response.body)
        guard expected.contains(response.status.code) else { throw Self.refusal(status: response.status.code, response, bytes) }
        return (response.status.code, bytes)
    }

    /// Reads a JSON answer, at most `maximumJSONBytes`.
    static func collect(_ body: HTTPClientResponseBody) async throws(SyncClientError) -> [UInt8] {
        do { return try await body.collect(upTo: maximumJSONBytes) } catch {
            throw .transport(reason: error.description)
        }
    }

    static func decode<Answer: Decodable>(_ type: Answer.Type, from bytes: [UInt8], status: Int) throws(SyncClientError) -> Answer {
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(bytes))
        } catch {
            throw .badResponse(status: status, reason: "the \(Answer.self) in the answer is malformed")
        }
    }

    /// The error for a refusal: the JSON error body when there is one.
    static func refusal(status: Int, _ response: HTTPClientResponse, _ bytes: [UInt8]) -> SyncClientError {
        guard let body = try? JSONDecoder().decode(ErrorBody.self, from: Data(bytes)) else {
            return .badResponse(status: status, reason: "unexpected status without an error body")
        }
        var retryAfter = body.retryAfterSeconds
        // RFC 9110 §10.2.3: Retry-After as delay-seconds.
        if retryAfter == nil, let field = response.headerFields[.retryAfter], let seconds = Int(field), seconds >= 0 {
            retryAfter = seconds
        }
        return .server(
            status: status, code: body.error, message: SyncClientError.sanitized(body.message),
            retryAfterSeconds: retryAfter.map { min(max($0, 0), 86_400) })
    }
}
