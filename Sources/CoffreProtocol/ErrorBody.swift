/// The JSON body of every error answer: `{"error": "invalid_field", "message": "..."}`.
///
/// `message` is English text for people; it never holds secrets or content the client sent.
/// 429 answers add `retryAfterSeconds`, the same value as the `Retry-After` header.
public struct ErrorBody: Codable, Sendable, Equatable {
    /// The stable code.
    public var error: ErrorCode
    /// A human-readable explanation.
    public var message: String
    /// For `throttled`: seconds to wait before trying again.
    public var retryAfterSeconds: Int?

    /// An error body.
    public init(error: ErrorCode, message: String, retryAfterSeconds: Int? = nil) {
        self.error = error
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }
}
