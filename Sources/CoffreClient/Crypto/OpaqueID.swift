import CoffreCrypto

/// A 16-byte identifier of a vault or entry, opaque to the format: it is only bound into
/// associated data and name tags (docs/format.md, "Identifiers").
public struct OpaqueID: Sendable, Hashable, CustomStringConvertible {
    /// Length of every id.
    public static let byteCount = 16

    /// The 16 bytes.
    public let bytes: [UInt8]

    /// Wraps exactly 16 bytes; any other length is refused.
    public init(bytes: some Collection<UInt8>) throws(CryptoFormatError) {
        guard bytes.count == Self.byteCount else {
            throw .malformed(structure: "id", reason: "must be \(Self.byteCount) bytes, got \(bytes.count)")
        }
        self.bytes = Array(bytes)
    }

    /// A new random id.
    public static func random() throws(CryptoFormatError) -> OpaqueID {
        try OpaqueID(bytes: CryptoFormatError.wrapping("id") { () throws(CryptoError) in try SecureRandom.bytes(count: byteCount) })
    }

    /// Lower-case hex.
    public var description: String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] })
    }
}
