/// The id of a blob: the SHA-256 of its bytes (DESIGN §6, "Blob id = SHA-256(blob)").
///
/// Its canonical text form is exactly 64 lowercase hexadecimal characters. Ids arrive in URLs
/// from the network, so parsing accepts nothing else: no uppercase, no prefix, no whitespace,
/// no other length. Stored as four big-endian words so ids hash and compare without allocating.
public struct BlobID: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    /// Length of an id in bytes.
    public static let byteCount = 32
    /// Length of the canonical text form in characters.
    public static let hexCount = 64

    private let word0: UInt64
    private let word1: UInt64
    private let word2: UInt64
    private let word3: UInt64

    /// Creates an id from its 32 raw bytes (a SHA-256 digest); nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        var words: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in bytes.enumerated() {
            words[index / 8] = words[index / 8] << 8 | UInt64(byte)
        }
        (word0, word1, word2, word3) = (words[0], words[1], words[2], words[3])
    }

    /// Parses the canonical form: exactly 64 characters from `0-9a-f`; nil for anything else.
    public init?(hex text: some StringProtocol) {
        let utf8 = text.utf8
        // Check the length before looking at any byte, so a hostile megabyte costs nothing.
        guard utf8.count == Self.hexCount else { return nil }
        var words: [UInt64] = [0, 0, 0, 0]
        for (index, char) in utf8.enumerated() {
            let nibble: UInt8
            switch char {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = char &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = char &- UInt8(ascii: "a") &+ 10
            default: return nil
            }
            words[index / 16] = words[index / 16] << 4 | UInt64(nibble)
        }
        (word0, word1, word2, word3) = (words[0], words[1], words[2], words[3])
    }

    /// Same as `init?(hex:)`, for `LosslessStringConvertible`.
    public init?(_ description: String) {
        self.init(hex: description)
    }

    /// The 32 raw bytes, most significant first.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.byteCount)
        for word in [word0, word1, word2, word3] {
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return out
    }

    /// The canonical text form: 64 lowercase hexadecimal characters.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(Self.hexCount)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The canonical text form.
    public var description: String { hex }
}

extension BlobID: CanonicalTextCodable {
    /// The id written as `hex` (64 lowercase hexadecimal characters).
    public init?(canonicalText text: String) { self.init(hex: text) }
    public var canonicalText: String { hex }
    public static var canonicalTextForm: String { "a blob id is 64 lowercase hexadecimal characters" }
}
