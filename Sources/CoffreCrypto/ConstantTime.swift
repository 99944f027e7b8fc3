import COpenSSL

/// Comparison of secrets (MACs, keys, tags) whose duration does not depend on the contents.
public enum ConstantTime {
    /// True when `a` and `b` have the same length and the same bytes. Lengths are public and are
    /// compared first; the contents are compared with `CRYPTO_memcmp(3)`, which always reads every
    /// byte (no early exit on the first difference).
    public static func equals(_ a: some RandomAccessCollection<UInt8>, _ b: some RandomAccessCollection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0 else { return true }
        return ByteAccess.with(a) { x in
            ByteAccess.with(b) { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, x.count) == 0 }
        }
    }
}
