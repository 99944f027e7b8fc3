import COpenSSL

/// The OpenSSL algorithm objects CoffreCrypto's streaming types use, fetched once per process.
///
/// crypto(7), "PERFORMANCE": passing `EVP_sha256()` and the like to an init call fetches the
/// algorithm from the provider store again on every call (implicit fetching), under a lock;
/// code that runs the same operation many times should fetch it once and pass that object.
/// Hashing and sealing chunk after chunk is that case.
///
/// `@unchecked Sendable`: the pointers are set once, in `init`, and never freed or changed.
/// The objects they point to are only read after the fetch (each context takes its own
/// reference), and openssl-threads(7) allows shared objects that are not modified to be used
/// from several threads at once, as crypto(7) "Performance" does with one prefetched object.
final class FetchedAlgorithms: @unchecked Sendable {
    /// The process-wide instance, fetched on first use (Swift runs a static's initializer once).
    static let shared = FetchedAlgorithms()

    /// `EVP_MD` SHA-256, or nil when the default provider lacks it.
    let sha256: OpaquePointer?
    /// `EVP_MAC` HMAC, or nil when the default provider lacks it.
    let hmac: OpaquePointer?
    /// `EVP_CIPHER` AES-256-GCM, or nil when the default provider lacks it.
    let aes256GCM: OpaquePointer?

    private init() {
        sha256 = EVP_MD_fetch(nil, "SHA256", nil)
        hmac = EVP_MAC_fetch(nil, "HMAC", nil)
        aes256GCM = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil)
        // A failed fetch leaves its reason on this thread's queue; each user reports its own.
        if sha256 == nil || hmac == nil || aes256GCM == nil { CryptoError.drainQueue() }
    }

    /// The fetched object, or the error its user throws when the provider lacks it.
    static func require(_ algorithm: OpaquePointer?, _ name: String) throws(CryptoError) -> OpaquePointer {
        guard let algorithm else { throw CryptoError.openSSL(operation: "fetch \(name)", detail: "algorithm not available") }
        return algorithm
    }
}
