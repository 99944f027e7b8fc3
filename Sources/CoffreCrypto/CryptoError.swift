import COpenSSL

/// The one error type of CoffreCrypto. Messages carry OpenSSL's error text, never key material.
public enum CryptoError: Error, Equatable, CustomStringConvertible {
    /// An OpenSSL call failed; `operation` names the call, `detail` is OpenSSL's error queue text.
    case openSSL(operation: String, detail: String)
    /// An input had the wrong length (key, nonce, tag, public key...).
    case invalidLength(what: String, expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .openSSL(let operation, let detail): return "\(operation) failed: \(detail)"
        case .invalidLength(let what, let expected, let actual):
            return "\(what) must be \(expected) bytes, got \(actual)"
        }
    }

    /// Drains OpenSSL's thread-local error queue into a `CryptoError`.
    static func fromQueue(_ operation: String) -> CryptoError {
        var parts: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            parts.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return .openSSL(operation: operation, detail: parts.isEmpty ? "unknown error" : parts.joined(separator: "; "))
    }
}
