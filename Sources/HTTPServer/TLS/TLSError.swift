import COpenSSL
import Glibc

/// The one error type of the TLS layer. Texts carry file paths and OpenSSL's error queue,
/// never key material or connection data.
public enum TLSError: Error, Equatable, CustomStringConvertible {
    /// A certificate, key or CA file is missing, unreadable, not a regular file or too large.
    case fileUnreadable(path: String, reason: String)
    /// The certificate (chain) could not be parsed; `path` is nil for in-memory PEM.
    case invalidCertificate(path: String?, detail: String)
    /// The private key could not be parsed (bad PEM, encrypted, unsupported type).
    case invalidPrivateKey(path: String?, detail: String)
    /// The private key is not the one of the certificate's public key.
    case keyDoesNotMatchCertificate(certificatePath: String, privateKeyPath: String)
    /// A parameter was rejected before reaching OpenSSL (pin length, host name, validity...).
    case invalidArgument(String)
    /// Any other OpenSSL call failed; `operation` names it, `detail` is the error queue text.
    case openSSL(operation: String, detail: String)

    public var description: String {
        switch self {
        case .fileUnreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .invalidCertificate(let path, let detail):
            return "invalid certificate\(path.map { " in \($0)" } ?? ""): \(detail)"
        case .invalidPrivateKey(let path, let detail):
            return "invalid private key\(path.map { " in \($0)" } ?? ""): \(detail)"
        case .keyDoesNotMatchCertificate(let certificatePath, let privateKeyPath):
            return "the private key in \(privateKeyPath) does not match the certificate in \(certificatePath)"
        case .invalidArgument(let text):
            return text
        case .openSSL(let operation, let detail):
            return "\(operation) failed: \(detail)"
        }
    }

    /// The text of an errno value (strerror(3), thread-safe in glibc since 2.32).
    static func systemErrorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// Drains the calling thread's OpenSSL error queue into an `.openSSL` error.
    static func fromQueue(_ operation: String) -> TLSError {
        .openSSL(operation: operation, detail: drainErrorQueue())
    }

    /// Empties the calling thread's OpenSSL error queue and returns its entries joined by "; "
    /// (ERR_get_error(3), ERR_error_string_n(3)). The texts hold library, reason and code only.
    static func drainErrorQueue() -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        let count = coffre_err_drain(&buffer, buffer.count)
        guard count > 0 else { return "unknown error" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
