/// The errors of the content-defined chunker. Messages name the failing step and the C error
/// text; they never hold key material, file names or file content.
public enum ChunkingError: Error, Equatable, CustomStringConvertible {
    /// The chunker key does not have `Chunker.keyByteCount` bytes.
    case invalidKeyLength(actual: Int)
    /// The chunker key is all zero bytes: a real `chunker` subkey comes from HKDF and is never
    /// all zeros, so this is an uninitialised buffer, not a key.
    case allZeroKey
    /// Deriving the gear table failed; `detail` is the crypto layer's text.
    case gearDerivationFailed(detail: String)
    /// `read(2)` failed with `errno` (EINTR is retried and never reported).
    case readFailed(errno: Int32, detail: String)
    /// A `ByteSource` reported a byte count outside `0...requested`.
    case invalidReadCount(returned: Int, requested: Int)

    public var description: String {
        switch self {
        case .invalidKeyLength(let actual):
            return "chunker key must be \(Chunker.keyByteCount) bytes, got \(actual)"
        case .allZeroKey:
            return "chunker key is all zero bytes"
        case .gearDerivationFailed(let detail):
            return "gear table derivation failed: \(detail)"
        case .readFailed(let code, let detail):
            return "read(2) failed: errno \(code) (\(detail))"
        case .invalidReadCount(let returned, let requested):
            return "byte source returned \(returned) bytes for a read of at most \(requested)"
        }
    }
}
