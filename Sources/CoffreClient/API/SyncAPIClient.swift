import CoffreProtocol
import Foundation
import HTTPServer
import HTTPTypes

/// A typed client for the sync routes of `coffred` (docs/protocol.md, "Sync"): vaults, members
/// and keys, blobs (streamed both ways, 100-continue, batches), commits, the changes feed with
/// long-poll, history and trash.
///
/// It runs over `HTTPClient` directly rather than an `APITransport`: blob bodies are streamed
/// in both directions and never held whole unless the caller asks for bytes in memory, and a
/// long poll needs its own read timeout. Errors are the API layer's `APIClientError`, built the
/// way `CoffreAPI` builds them: a refusal is `.server` with the stable error code, an unreadable
/// answer `.badResponse`, a failed exchange `.unreachable` or `.tls`.
public struct SyncAPIClient: Sendable {
    /// The HTTP client (shared; its pool keeps connections alive across calls).
    public let http: HTTPClient
    /// The server.
    public let server: ServerURL
    /// The device token (`cft_…`).
    public var token: String
    /// TLS trust for HTTPS (a pin, a CA file); nil for the client's default.
    public var tlsTrust: TLSClientTrust?

    /// Largest JSON answer read: a changes page of 5,000 entries with 16 KiB records is about
    /// 110 MB of JSON.
    public static let maximumJSONBytes = 128 << 20

    /// A client for `server` authenticating with `token`.
    public init(http: HTTPClient, server: ServerURL, token: String, tlsTrust: TLSClientTrust? = nil) {
        self.http = http
        self.server = server
        self.token = token
        self.tlsTrust = tlsTrust
    }

    /// A request to `target` with the bearer token (RFC 6750 §2.1).
    func request(_ method: HTTPRequest.Method, _ target: String, body: HTTPClientRequestBody = .none, contentType: String? = nil)
        -> HTTPClientRequest
    {
        var fields = HTTPFields()
        fields[.authorization] = "Bearer " + token
        fields[.accept] = "application/json"
        if let contentType { fields[.contentType] = contentType }
        var request = HTTPClientRequest(
            method: method, scheme: server.scheme == .https ? .https : .http, host: server.host, port: server.port,
            pathAndQuery: target, headerFields: fields, body: body)
        request.tlsTrust = tlsTrust
        return request
    }

    /// Sends `request` and returns the response, its body not read yet.
    func send(_ request: HTTPClientRequest) async throws(APIClientError) -> HTTPClientResponse {
        do {
            return try await http.execute(request)
        } catch let error as HTTPClientError {
            throw transportError(error)
        } catch {
            throw .unreachable(server: server.description, reason: "the request failed")
        }
    }

    /// The API error for a failed exchange, as `HTTPAPITransport` reports it.
    func transportError(_ error: HTTPClientError) -> APIClientError {
        HTTPAPITransport(client: http, server: server, trust: tlsTrust).mapped(error)
    }

    /// Sends a JSON request (or none) and decodes the answer from one of `expected`.
    func call<Answer: Decodable>(
        _ method: HTTPRequest.Method, _ target: String, json: (some Encodable)? = nil as Never?,
        expecting expected: Set<Int> = [200], readTimeout: Duration? = nil, as type: Answer.Type = Answer.self
    ) async throws(APIClientError) -> Answer {
        let answer = try await exchange(method, target, json: json, expecting: expected, readTimeout: readTimeout)
        return try Self.decode(Answer.self, from: answer.body, status: answer.status)
    }

    /// Sends a request whose success has no content.
    func callWithoutContent(
        _ method: HTTPRequest.Method, _ target: String, json: (some Encodable)? = nil as Never?,
        expecting expected: Set<Int> = [204]
    ) async throws(APIClientError) {
        _ = try await exchange(method, target, json: json, expecting: expected, readTimeout: nil)
    }

    /// One exchange with a JSON body (or none); any status outside `expected` becomes an error.
    func exchange(
        _ method: HTTPRequest.Method, _ target: String, json: (some Encodable)?, expecting expected: Set<Int>,
        readTimeout: Duration?
    ) async throws(APIClientError) -> APIResponse {
        var body = HTTPClientRequestBody.none
        if let json {
            do { body = .bytes(Array(try JSONEncoder().encode(json))) } catch {
                throw .badResponse(status: 0, reason: "the request could not be encoded")
            }
        }
        var outgoing = request(method, target, body: body, contentType: json == nil ? nil : "application/json")
        outgoing.readIdleTimeout = readTimeout
        let answer = try await read(try await send(outgoing))
        guard expected.contains(answer.status) else { throw CoffreAPI.refusal(answer) }
        return answer
    }

    /// Reads a whole answer (at most `maximumJSONBytes`).
    func read(_ response: HTTPClientResponse) async throws(APIClientError) -> APIResponse {
        let body: [UInt8]
        do { body = try await response.body.collect(upTo: Self.maximumJSONBytes) } catch {
            throw transportError(error)
        }
        return APIResponse(
            status: response.status.code, headerFields: response.headerFields.map { ($0.name.rawName, $0.value) }, body: body,
            peerCertificateSHA256: response.peerCertificateSHA256)
    }

    static func decode<Answer: Decodable>(_ type: Answer.Type, from bytes: [UInt8], status: Int) throws(APIClientError) -> Answer {
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(bytes))
        } catch {
            throw .badResponse(
                status: status, reason: "the \(Answer.self) in the answer is malformed (\(CoffreAPI.decodingProblem(error)))")
        }
    }
}
