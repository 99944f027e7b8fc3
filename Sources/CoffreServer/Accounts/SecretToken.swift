import CoffreCrypto
import Foundation

/// The random secrets the server hands out, and how it stores them: only their SHA-256.
///
/// Text form: a prefix that says what the secret is (so a leaked one is easy to grep for and
/// to recognise) followed by base64url without padding (RFC 4648 §5) of fresh CSPRNG bytes:
/// - `cft_` device bearer token, 32 random bytes (256 bits), 47 characters;
/// - `cfa_` admin API token, 32 random bytes, 47 characters;
/// - `cfi_` invite code, 16 random bytes (128 bits), 26 characters.
///
/// A plain SHA-256 is enough to store them: they are uniformly random with at least 128 bits,
/// so there is nothing to guess, and a stolen database gives no usable token. Lookups go by
/// hash (`WHERE token_hash = ?`): the time of that B-tree search depends on the hash of what the
/// client sent, which tells the client nothing about any stored token.
enum SecretToken {
    enum Kind: Sendable {
        case device, admin, invite

        var prefix: String {
            switch self {
            case .device: "cft_"
            case .admin: "cfa_"
            case .invite: "cfi_"
            }
        }

        var randomByteCount: Int { self == .invite ? 16 : 32 }

        /// Length of the whole text: prefix plus unpadded base64url.
        var textLength: Int { prefix.utf8.count + (randomByteCount * 4 + 2) / 3 }
    }

    /// A fresh secret of `kind`.
    static func generate(_ kind: Kind) throws(CryptoError) -> String {
        var random = try SecureRandom.bytes(count: kind.randomByteCount)
        defer { SecretBytes.wipe(&random) }
        return kind.prefix + base64URL(random)
    }

    /// True when `text` has the shape of a `kind` secret (prefix, length, alphabet); checked
    /// before any database lookup so junk costs nothing.
    static func hasShape(_ text: String, of kind: Kind) -> Bool {
        var copy = text
        return copy.withUTF8 { hasShape(UnsafeRawBufferPointer($0), of: kind) }
    }

    /// `hasShape` over the text's UTF-8 bytes.
    static func hasShape(_ utf8: UnsafeRawBufferPointer, of kind: Kind) -> Bool {
        let prefix = kind.prefix.utf8
        guard utf8.count == kind.textLength, utf8.starts(with: prefix) else { return false }
        return utf8.dropFirst(prefix.count).allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                true
            default: false
            }
        }
    }

    /// SHA-256 of the secret's text, as stored.
    static func hash(_ text: String) throws(CryptoError) -> [UInt8] {
        try SHA256.hash(Array(text.utf8))
    }

    /// base64url without padding (RFC 4648 §5).
    static func base64URL(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }
}
