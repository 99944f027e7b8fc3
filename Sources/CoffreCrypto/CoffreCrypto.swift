/// CoffreCrypto: thin, tested wrappers over OpenSSL 3 for the primitives Coffre uses —
/// SHA-256, HMAC-SHA256, HKDF-SHA256, scrypt, AES-256-GCM, X25519, Ed25519, secure random,
/// constant-time comparison, and `SecretBytes` for key material that is wiped when released.
/// Each OpenSSL handle lives in one `final class` that checks every return code and throws
/// `CryptoError` carrying OpenSSL's error text.
public enum CoffreCrypto {}
