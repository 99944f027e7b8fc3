import Foundation

/// Bytes the server stores without interpreting them: encrypted records, encrypted vault names,
/// wrapped vault keys.
///
/// On the wire they are one JSON string in standard base64 (RFC 4648 §4: alphabet `A-Z a-z 0-9
/// + /`, `=` padding, no line breaks). Decoding is strict: the text must be the canonical encoding
/// of its bytes, so one value has exactly one wire form, whatever the decoder's data strategy.
public struct OpaqueBytes: Hashable, Sendable, Codable {
    /// The bytes.
    public var bytes: [UInt8]

    /// Wraps `bytes`.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Number of bytes.
    public var count: Int { bytes.count }

    /// Parses canonical standard base64; nil for anything else (whitespace, missing padding,
    /// the URL-safe alphabet, non-zero trailing bits).
    public init?(base64 text: String) {
        guard let data = Data(base64Encoded: text), data.base64EncodedString() == text else { return nil }
        self.bytes = [UInt8](data)
    }

    /// The canonical standard base64 text.
    public var base64: String { Data(bytes).base64EncodedString() }

    /// Decodes a canonical base64 string; anything else is `DecodingError.dataCorrupted`
    /// (the message does not echo the input).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let value = OpaqueBytes(base64: try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected standard base64")
        }
        self = value
    }

    /// Encodes the canonical base64 string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(base64)
    }
}
