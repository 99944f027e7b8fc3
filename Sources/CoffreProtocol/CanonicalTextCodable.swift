/// A value whose JSON form is a single string in one canonical text form (hex ids, base64
/// bytes). The protocol gives it `Codable`: decoding anything else is
/// `DecodingError.dataCorrupted` with a message that says what was expected and never echoes
/// the input (it may be a key or an id).
public protocol CanonicalTextCodable: Codable {
    /// The value written in `text`, or nil when `text` is not the canonical form.
    init?(canonicalText text: String)
    /// The canonical text form.
    var canonicalText: String { get }
    /// What the canonical form looks like, for the decoding error.
    static var canonicalTextForm: String { get }
}

extension CanonicalTextCodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let value = Self(canonicalText: try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: Self.canonicalTextForm)
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(canonicalText)
    }
}
