import COpenSSL

/// The one error type of CoffreCrypto. Messages carry OpenSSL's error text, never key material.
public enum CryptoError: Error, Equatable, CustomStringConvertible {
    /// An OpenSSL call failed; `operation` names the call, `detail` is OpenSSL's error queue text.
    case openSSL(operation: String, detail: String)
    /// An input had the wrong length (key, nonce, tag, public key...).
    case invalidLength(what: String, expected: Int, actual: Int)
    /// A parameter is outside what the algorithm or this module accepts (e.g. scrypt N not a power
    /// of two, an output length too large). `reason` says which and why.
    case invalidParameter(String)
    /// AES-GCM tag check failed: wrong key, nonce or AAD, or the ciphertext or tag was altered.
    case authenticationFailed
    /// X25519 produced the all-zero shared secret: the peer sent a low-order point (RFC 7748 §6.1).
    case lowOrderPoint
    /// The streaming cipher was called out of order (e.g. `update` before `begin`).
    case misuse(String)

    public var description: String {
        switch self {
        case .openSSL(let operation, let detail): return "\(operation) failed: \(detail)"
        case .invalidLength(let what, let expected, let actual):
            return "\(what) must be \(expected) bytes, got \(actual)"
        case .invalidParameter(let reason): return "invalid parameter: \(reason)"
        case .authenticationFailed: return "authentication failed: ciphertext, tag, nonce, AAD or key do not match"
        case .lowOrderPoint: return "X25519 shared secret is all zero (low-order public key)"
        case .misuse(let reason): return "cipher used out of order: \(reason)"
        }
    }

    /// Drains OpenSSL's thread-local error queue into a `CryptoError`.
    static func fromQueue(_ operation: String) -> CryptoError {
        .openSSL(operation: operation, detail: drainQueue())
    }

    /// Empties OpenSSL's thread-local error queue and returns its text (ERR_get_error(3)).
    @discardableResult
    static func drainQueue() -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        let count = coffre_err_drain(&buffer, buffer.count)
        guard count > 0 else { return "unknown error" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
