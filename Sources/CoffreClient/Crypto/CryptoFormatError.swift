import CoffreCrypto

/// Every way the end-to-end encryption format (docs/format.md) can refuse input. Each case is
/// distinct so callers and logs can tell a tampering server from a bug; messages never contain
/// keys, names or other user content.
public enum CryptoFormatError: Error, Equatable, CustomStringConvertible {
    /// A primitive failed (OpenSSL error, bad key length...).
    case primitive(CryptoError)
    /// Account KDF parameters are below this client's minimum (a downgrade) or malformed.
    case kdfParametersRefused(String)
    /// A structure starts with a version byte this client does not know.
    case unsupportedVersion(structure: String, version: UInt8)
    /// A structure is too short, too long, or a field is out of bounds.
    case malformed(structure: String, reason: String)
    /// AES-GCM rejected a structure: wrong key, or the bytes, nonce or bound context were altered
    /// (for a record: moved to another vault, entry, parent or kind).
    case authenticationFailed(structure: String)
    /// SHA-256 of a blob is not the id it was fetched under.
    case blobIDMismatch
    /// A decrypted chunk's length header or padded size is inconsistent.
    case invalidFraming(String)
    /// The padding of a chunk or record is not all zero.
    case nonzeroPadding(structure: String)
    /// A chunk decrypted, but HMAC(convergence, plaintext) is not its key (no key commitment).
    case keyCommitmentMismatch
    /// A chunk's plaintext length differs from what its manifest entry says.
    case chunkLengthMismatch(expected: UInt32, actual: UInt32)
    /// A vault-key grant's signature is invalid, or it is signed by another key than expected.
    case grantSignatureInvalid
    /// A grant is for another vault, generation or recipient than the one asked for.
    case grantMismatch(String)
    /// A decrypted record contradicts its context or its own fields (kind, size vs manifest...).
    case recordInconsistent(String)
    /// A file or folder name is not acceptable (empty, too long, `/`, NUL, `.`/`..`, not NFC).
    case invalidName(String)

    public var description: String {
        switch self {
        case .primitive(let error): return "crypto primitive failed: \(error)"
        case .kdfParametersRefused(let reason): return "KDF parameters refused: \(reason)"
        case .unsupportedVersion(let structure, let version): return "\(structure): unsupported version \(version)"
        case .malformed(let structure, let reason): return "\(structure) is malformed: \(reason)"
        case .authenticationFailed(let structure): return "\(structure) failed authentication (wrong key or altered)"
        case .blobIDMismatch: return "blob content does not hash to its id"
        case .invalidFraming(let reason): return "chunk framing invalid: \(reason)"
        case .nonzeroPadding(let structure): return "\(structure) padding is not all zero"
        case .keyCommitmentMismatch: return "chunk key does not commit to the decrypted plaintext"
        case .chunkLengthMismatch(let expected, let actual): return "chunk length \(actual) differs from manifest length \(expected)"
        case .grantSignatureInvalid: return "vault key grant signature is invalid for the expected granter"
        case .grantMismatch(let reason): return "vault key grant does not match: \(reason)"
        case .recordInconsistent(let reason): return "entry record inconsistent: \(reason)"
        case .invalidName(let reason): return "invalid name: \(reason)"
        }
    }

    /// Runs a CoffreCrypto call, wrapping its error; a failed AES-GCM tag check on `structure`
    /// becomes `.authenticationFailed(structure:)`.
    static func wrapping<R>(_ structure: String, _ body: () throws(CryptoError) -> R) throws(CryptoFormatError) -> R {
        do {
            return try body()
        } catch .authenticationFailed {
            throw .authenticationFailed(structure: structure)
        } catch {
            throw .primitive(error)
        }
    }
}
