import CoffreCrypto
import CoffreProtocol

extension BlobID {
    /// Parses an id that arrived from outside (a URL path segment, a listing) and throws
    /// `BlobStoreError.invalidID` unless it is exactly 64 lowercase hexadecimal characters.
    public init(validating text: some StringProtocol) throws(BlobStoreError) {
        guard let id = BlobID(hex: text) else { throw .invalidID }
        self = id
    }
}

extension BlobID {
    /// Throws `BlobStoreError.hashMismatch` unless `bytes` hash to this id (SHA-256). The id is
    /// public, so a plain comparison leaks nothing.
    func check(_ bytes: some RandomAccessCollection<UInt8>) throws(BlobStoreError) {
        let digest: [UInt8]
        do throws(CryptoError) { digest = try SHA256.hash(bytes) } catch {
            throw .io(operation: "SHA-256", detail: error.description)
        }
        guard digest == self.bytes else { throw .hashMismatch }
    }
}
