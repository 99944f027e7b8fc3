import COpenSSL

/// scrypt (RFC 7914) through OpenSSL's `EVP_KDF` "SCRYPT" (EVP_KDF-SCRYPT(7)).
public enum Scrypt {
    /// Cost parameters: `n` (CPU/memory cost, a power of two > 1), `r` (block size), `p`
    /// (parallelism).
    public struct Parameters: Sendable, Hashable, CustomStringConvertible {
        public var n: UInt64
        public var r: UInt32
        public var p: UInt32

        /// Creates parameters; `validate()` checks them.
        public init(n: UInt64, r: UInt32, p: UInt32) {
            self.n = n
            self.r = r
            self.p = p
        }

        /// Bytes of memory scrypt needs: 128·r·N for V plus 128·r·p for B (RFC 7914 §5–6), plus
        /// the 256·r bytes of XY working space OpenSSL counts too.
        public var memoryByteCount: UInt64 {
            let r = UInt64(self.r), p = UInt64(self.p)
            let (v, o1) = (128 * r).multipliedReportingOverflow(by: n)
            let (b, o2) = (128 * r).multipliedReportingOverflow(by: p)
            let (sum, o3) = v.addingReportingOverflow(b + 256 * r)
            return o1 || o2 || o3 ? .max : sum
        }

        /// Checks the RFC 7914 §2 constraints and this module's bounds.
        public func validate() throws(CryptoError) {
            // RFC 7914 §2: N is a power of two greater than 1 ("CPU/Memory cost parameter").
            guard n > 1, n & (n - 1) == 0 else { throw CryptoError.invalidParameter("scrypt N must be a power of two > 1") }
            guard r >= 1, p >= 1 else { throw CryptoError.invalidParameter("scrypt r and p must be at least 1") }
            // RFC 7914 §2: p ≤ ((2^32-1) * hLen) / MFLen, and r·p < 2^30 (§6 note for ROMix).
            guard UInt64(r) * UInt64(p) < (1 << 30) else { throw CryptoError.invalidParameter("scrypt r·p must be < 2^30") }
            // RFC 7914 §2: N < 2^(128·r/8); with r ≥ 1 that is N < 2^16·r, never binding below r = 4.
            if r < 4 {
                guard n < (UInt64(1) << (16 * UInt64(r))) else { throw CryptoError.invalidParameter("scrypt N must be < 2^(16·r)") }
            }
            guard memoryByteCount <= Scrypt.maximumMemoryByteCount else {
                throw CryptoError.invalidParameter("scrypt would need more than \(Scrypt.maximumMemoryByteCount >> 20) MiB")
            }
        }

        public var description: String { "scrypt(N=\(n), r=\(r), p=\(p))" }
    }

    /// Most memory one derivation may use: 1 GiB and a little, enough for N=2^20, r=8.
    public static let maximumMemoryByteCount: UInt64 = (1 << 30) + (1 << 20)

    /// Largest output length accepted (RFC 7914 allows more; nobody needs it).
    public static let maximumOutputByteCount = 1024

    /// Derives `outputByteCount` bytes from `password` and `salt`.
    public static func deriveKey(
        password: some RandomAccessCollection<UInt8>,
        salt: some RandomAccessCollection<UInt8>,
        parameters: Parameters,
        outputByteCount: Int
    ) throws(CryptoError) -> SecretBytes {
        try parameters.validate()
        guard outputByteCount > 0, outputByteCount <= maximumOutputByteCount else {
            throw CryptoError.invalidParameter("scrypt output length must be 1...\(maximumOutputByteCount)")
        }
        let list = OSSLParameterList()
        ByteAccess.with(password) { list.addOctets(OSSL_KDF_PARAM_PASSWORD, $0) }
        ByteAccess.with(salt) { list.addOctets(OSSL_KDF_PARAM_SALT, $0) }
        list.addUInt64(OSSL_KDF_PARAM_SCRYPT_N, parameters.n)
        list.addUInt32(OSSL_KDF_PARAM_SCRYPT_R, parameters.r)
        list.addUInt32(OSSL_KDF_PARAM_SCRYPT_P, parameters.p)
        // EVP_KDF-SCRYPT(7): the default maxmem is 1025 MiB minus a bit; set it to what these
        // parameters need (validated above) so N=2^17, r=8 (128 MiB) and up to 1 GiB work.
        list.addUInt64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, parameters.memoryByteCount + (1 << 16))
        return try KDFContext(algorithm: "SCRYPT").derive(count: outputByteCount, parameters: list)
    }
}
