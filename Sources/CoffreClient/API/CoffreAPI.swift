import CoffreProtocol
import Foundation

/// A typed client for the account and admin routes of `coffred` (docs/protocol.md) over an
/// `APITransport`. Each method sends one request and returns the decoded answer; every
/// refusal becomes `APIClientError.server` with the stable error code, every unreadable
/// answer `.badResponse`.
///
/// The value holds the bearer token used for the routes that need one: a device token
/// (`cft_…`) for the account routes, an admin token (`cfa_…`) or an admin device token for the
/// admin routes.
public struct CoffreAPI: Sendable {
    /// Where requests go.
    public let transport: any APITransport
    /// The bearer token, or nil before login.
    public var token: String?

    /// A client over `transport`, authenticated with `token` when given.
    public init(transport: any APITransport, token: String? = nil) {
        self.transport = transport
        self.token = token
    }

    /// Sends a request and decodes a JSON answer of type `Answer` from a `expected` status.
    func call<Answer: Decodable>(
        _ method: APIRequest.Method, _ target: String, body: (some Encodable)? = nil as Never?, expecting expected: Int = 200,
        as type: Answer.Type = Answer.self
    ) async throws(APIClientError) -> Answer {
        let response = try await exchange(method, target, body: body, expecting: expected)
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(response.body))
        } catch {
            throw .badResponse(status: response.status, reason: "the \(Answer.self) in the answer is malformed (\(Self.decodingProblem(error)))")
        }
    }

    /// Sends a request whose success answer has no content (`204 No Content`).
    func callWithoutContent(_ method: APIRequest.Method, _ target: String, body: (some Encodable)? = nil as Never?) async throws(APIClientError) {
        _ = try await exchange(method, target, body: body, expecting: 204)
    }

    /// One exchange; any status other than `expected` is turned into an error.
    private func exchange(
        _ method: APIRequest.Method, _ target: String, body: (some Encodable)?, expecting expected: Int
    ) async throws(APIClientError) -> APIResponse {
        var jsonBody: [UInt8]?
        if let body {
            do {
                jsonBody = Array(try JSONEncoder().encode(body))
            } catch {
                throw .badResponse(status: 0, reason: "the request could not be encoded")
            }
        }
        let response = try await transport.send(APIRequest(method: method, target: target, bearerToken: token, jsonBody: jsonBody))
        guard response.status == expected else { throw Self.refusal(response) }
        return response
    }

    /// The error for a non-success answer: the JSON `ErrorBody` when there is one; otherwise
    /// a description of the status.
    static func refusal(_ response: APIResponse) -> APIClientError {
        guard let body = try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body)) else {
            if response.status == 404 {
                return .badResponse(status: 404, reason: "this server has no such route (is it a coffred of the same version?)")
            }
            return .badResponse(status: response.status, reason: "unexpected status without an error body")
        }
        var retryAfter = body.retryAfterSeconds
        // RFC 9110 §10.2.3: Retry-After as delay-seconds; the body's copy wins when present.
        if retryAfter == nil, let field = response.headerField("Retry-After"), let seconds = Int(field), seconds >= 0 {
            retryAfter = seconds
        }
        // A day at most: a hostile server must not make the client show or wait absurd times.
        return .server(
            status: response.status, code: body.error, message: TerminalText.sanitized(body.message, limit: 300),
            retryAfterSeconds: retryAfter.map { min(max($0, 0), 86_400) })
    }

    /// A short reason for a decoding failure: the coding path only, never the values.
    static func decodingProblem(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "not JSON" }
        let path: [any CodingKey]
        switch error {
        case .dataCorrupted(let context): path = context.codingPath
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context): path = context.codingPath
        case .valueNotFound(_, let context): path = context.codingPath
        @unknown default: path = []
        }
        let name = path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        return name.isEmpty ? "not the expected JSON" : "field \(name)"
    }
}
