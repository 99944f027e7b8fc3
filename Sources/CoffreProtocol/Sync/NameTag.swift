/// A name tag: `HMAC(nametag, parentId ‖ NFC(name))`, exactly 32 bytes (docs/format.md,
/// "Name tags"). The server compares tags to keep names unique among live siblings; it cannot
/// learn the names. Base64 on the wire, like every other opaque byte string.
public struct NameTag: Hashable, Sendable, Codable {
    /// Length of every tag.
    public static let byteCount = 32

    /// The 32 bytes.
    public let bytes: [UInt8]

    /// Wraps exactly 32 bytes; nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = Array(bytes)
    }

    /// Decodes canonical base64 of exactly 32 bytes; anything else is `DecodingError.dataCorrupted`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let decoded = Base64Bytes(base64: try container.decode(String.self)),
            let tag = NameTag(bytes: decoded.bytes)
        else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "a name tag is 32 bytes in base64")
        }
        self = tag
    }

    /// Encodes the canonical base64 string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Base64Bytes(bytes).base64)
    }
}
