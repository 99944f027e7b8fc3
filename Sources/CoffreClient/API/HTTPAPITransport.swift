import CoffreProtocol
import HTTPServer
import HTTPTypes
import Synchronization

/// `APITransport` over our own `HTTPClient` (HTTP/1.1, TLS with pinning or a CA file): what
/// `coffre` and `coffre-admin` use. One HTTP client per process, shared by the transports the
/// factory makes, so keep-alive connections are reused across a command's requests.
public struct HTTPAPITransport: APITransport {
    let client: HTTPClient
    let server: ServerURL
    let trust: TLSClientTrust?

    /// A factory of transports sharing one `HTTPClient`, created on first use.
    public static func factory() -> APITransportFactory {
        let shared = SharedClient()
        return { server, trust throws(APIClientError) in
            HTTPAPITransport(client: try shared.client(for: server), server: server, trust: trust)
        }
    }

    public func send(_ request: APIRequest) async throws(APIClientError) -> APIResponse {
        var fields = HTTPFields()
        for (name, value) in request.headerFields {
            guard let fieldName = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        guard let method = HTTPRequest.Method(request.method.rawValue) else {
            throw .badResponse(status: 0, reason: "unsupported method")
        }
        var outgoing = HTTPClientRequest(
            method: method, scheme: server.scheme == .https ? .https : .http, host: server.host, port: server.port,
            pathAndQuery: request.target, headerFields: fields, body: request.jsonBody.map { .bytes($0) } ?? .none)
        outgoing.tlsTrust = trust
        outgoing.readIdleTimeout = request.readIdleTimeout
        do {
            let response = try await client.execute(outgoing)
            let body = try await response.body.collect(upTo: APIResponse.maximumBodyBytes)
            return APIResponse(
                status: response.status.code, headerFields: response.headerFields.map { ($0.name.rawName, $0.value) }, body: body,
                peerCertificateSHA256: response.peerCertificateSHA256)
        } catch let error as HTTPClientError {
            throw mapped(error)
        } catch {
            throw .unreachable(server: server.description, reason: "the request failed")
        }
    }

    /// The API error for a client failure: no connection, TLS, or an answer that breaks HTTP.
    func mapped(_ error: HTTPClientError) -> APIClientError {
        let name = server.description
        switch error {
        case .resolutionFailed, .connectionRefused, .connectTimeout, .connectFailed, .system, .shutDown, .cancelled:
            return .unreachable(server: name, reason: error.description)
        case .readTimeout, .writeTimeout, .connectionClosed:
            return .unreachable(server: name, reason: "\(error.description); the request may or may not have been carried out")
        case .tls(let reason):
            return .tls(server: name, reason: reason)
        case .malformedResponse, .responseHeadTooLarge, .tooManyHeaderFields, .bodyTooLarge, .invalidRequest:
            return .badResponse(status: 0, reason: error.description)
        }
    }
}

/// The process's HTTP client, made when the first transport needs it.
private final class SharedClient: Sendable {
    private let client = Mutex<HTTPClient?>(nil)

    func client(for server: ServerURL) throws(APIClientError) -> HTTPClient {
        let made = client.withLock { current -> Result<HTTPClient, HTTPClientError> in
            if let current { return .success(current) }
            var configuration = HTTPClientConfiguration()
            configuration.userAgent = "coffre/\(CoffreVersion.current)"
            let made = Result { () throws(HTTPClientError) in try HTTPClient(configuration: configuration) }
            if case .success(let new) = made { current = new }
            return made
        }
        switch made {
        case .success(let client): return client
        case .failure(let error): throw .unreachable(server: server.description, reason: error.description)
        }
    }
}
