import Foundation

/// Binary values on the wire: a JSON string holding standard base64 with padding
/// (RFC 4648 §4, the alphabet `A–Z a–z 0–9 + /` and `=`), e.g. `"AAECAw=="`.
///
/// Decoding is strict: whitespace, line breaks, the URL-safe alphabet and missing padding are
/// refused, and a string longer than `maximumEncodedLength` is refused before it is decoded.
/// Each field then checks its own exact or maximum byte count.
public struct Base64Bytes: Sendable, Hashable, CanonicalTextCodable, CustomStringConvertible {
    /// Longest encoded string accepted (48 KiB of text, 36 KiB of bytes): no field of the
    /// account API needs more.
    public static let maximumEncodedLength = 48 * 1024

    /// The decoded bytes.
    public var bytes: [UInt8]

    /// Wraps bytes.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Decodes standard padded base64 in its canonical form (RFC 4648 §3.5); nil for anything
    /// else or for text longer than `maximumEncodedLength`.
    public init?(base64: String) {
        guard base64.utf8.count <= Self.maximumEncodedLength, base64.utf8.count % 4 == 0,
            let data = Data(base64Encoded: base64),
            // Canonical form only: unused low bits in the last group must be zero.
            data.base64EncodedString() == base64
        else { return nil }
        self.bytes = [UInt8](data)
    }

    /// Number of bytes.
    public var count: Int { bytes.count }

    /// The standard padded base64 text.
    public var base64: String { Data(bytes).base64EncodedString() }

    /// The bytes written as standard padded base64.
    public init?(canonicalText text: String) { self.init(base64: text) }
    public var canonicalText: String { base64 }
    public static var canonicalTextForm: String { "expected standard base64 (RFC 4648 §4) with padding" }

    /// Only the length: these values are keys and hashes that must not reach logs.
    public var description: String { "Base64Bytes(\(bytes.count) bytes)" }
}
