import CoffreCrypto

/// The SHA-256 of a secret token's text, as four words: what `TokenAuthenticator`'s cache is
/// keyed by (as the database is by `token_hash`). A value type, so hashing a token and looking
/// it up touch no heap; the text itself is never kept.
struct TokenDigest: Hashable, Sendable {
    private let words: (UInt64, UInt64, UInt64, UInt64)

    /// The digest of the token text in `utf8`.
    init(hashing utf8: UnsafeRawBufferPointer) throws(CryptoError) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        try withUnsafeMutableBytes(of: &words) { (digest) throws(CryptoError) in try SHA256.hash(utf8, into: digest) }
        self.words = words
    }

    /// The digest of `token`'s text.
    init(hashing token: String) throws(CryptoError) {
        var text = token
        let digest = text.withUTF8 { utf8 in
            Result { () throws(CryptoError) -> TokenDigest in try TokenDigest(hashing: UnsafeRawBufferPointer(utf8)) }
        }
        self = try digest.get()
    }

    /// The 32 digest bytes, as `token_hash` stores them.
    var bytes: [UInt8] {
        var copy = words
        return withUnsafeBytes(of: &copy) { Array($0) }
    }

    static func == (lhs: TokenDigest, rhs: TokenDigest) -> Bool {
        lhs.words == rhs.words
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}
