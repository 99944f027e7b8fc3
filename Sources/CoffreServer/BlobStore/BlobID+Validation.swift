import CoffreProtocol

extension BlobID {
    /// Parses an id that arrived from outside (a URL path segment, a listing) and throws
    /// `BlobStoreError.invalidID` unless it is exactly 64 lowercase hexadecimal characters.
    public init(validating text: some StringProtocol) throws(BlobStoreError) {
        guard let id = BlobID(hex: text) else { throw .invalidID }
        self = id
    }
}
