import HTTPServer
import Logging

/// Wraps a route handler so that whatever it throws leaves as an `APIError`: a body over the
/// route's limit becomes 413 `body_too_large`, any other unexpected error is logged and becomes
/// 500 `internal_error` (its text never reaches the client). A client that went away
/// (`bodyTruncated`, `connectionClosed`) is passed on to the server, which has no one to answer.
enum APIEndpoint {
    static func handler(
        logger: Logger, route: String, _ body: @escaping @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse
    ) -> @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse {
        { request in
            do {
                return try await body(request)
            } catch let error as APIError {
                throw error
            } catch let error as HTTPServerError {
                switch error {
                case .contentTooLarge(let limit): throw APIError.bodyTooLarge(limit: Int(clamping: limit))
                case .badRequest: throw APIError.malformedJSON("the request body could not be read")
                case .bodyTruncated, .connectionClosed: throw error
                default:
                    logger.error("API request failed", metadata: ["route": "\(route)", "error": "\(error)"])
                    throw APIError.internalError
                }
            } catch {
                logger.error("API request failed", metadata: ["route": "\(route)", "error": "\(error)"])
                throw APIError.internalError
            }
        }
    }
}
