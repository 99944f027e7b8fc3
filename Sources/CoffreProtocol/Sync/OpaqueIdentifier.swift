/// What an `OpaqueIdentifier` names; only its `label` matters, for messages.
public protocol IdentifierPurpose: Sendable {
    /// A short name for messages, such as "vault id".
    static var label: String { get }
}

/// Marks vault ids.
public enum VaultIDPurpose: IdentifierPurpose {
    /// "vault id".
    public static let label = "vault id"
}

/// Marks entry ids.
public enum EntryIDPurpose: IdentifierPurpose {
    /// "entry id".
    public static let label = "entry id"
}

/// Marks commit ids (idempotency keys chosen by the client).
public enum CommitIDPurpose: IdentifierPurpose {
    /// "commit id".
    public static let label = "commit id"
}

/// A vault's id (docs/format.md, "Identifiers"); chosen by the client that creates the vault,
/// because it is bound into grants and records before the server sees it.
public typealias VaultID = OpaqueIdentifier<VaultIDPurpose>
/// An entry's id, chosen by the client that creates the entry.
public typealias EntryID = OpaqueIdentifier<EntryIDPurpose>
/// A commit's idempotency key: 16 random bytes chosen by the client.
public typealias CommitID = OpaqueIdentifier<CommitIDPurpose>

/// A 16-byte opaque identifier. The server only compares ids; it never interprets them.
///
/// Its text form is exactly 32 lowercase hexadecimal characters; parsing accepts nothing else
/// (no uppercase, prefix or whitespace), because ids arrive in URLs and JSON from the network.
/// Stored as two big-endian words, so ids hash and compare without allocating.
public struct OpaqueIdentifier<Purpose: IdentifierPurpose>: Hashable, Sendable, Comparable,
    CustomStringConvertible, LosslessStringConvertible
{
    /// Length of an id in bytes.
    public static var byteCount: Int { 16 }
    /// Length of the text form in characters.
    public static var hexCount: Int { 32 }

    /// The first eight bytes, big-endian.
    public let high: UInt64
    /// The last eight bytes, big-endian.
    public let low: UInt64

    /// An id from its two big-endian words.
    @inlinable
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// An id from exactly 16 raw bytes; nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low)
    }

    /// An id from exactly 16 raw bytes in memory (a database column, say); nil for any other
    /// length. Reads the two words directly instead of byte by byte.
    @inlinable
    public init?(bytes buffer: UnsafeRawBufferPointer) {
        guard buffer.count == Self.byteCount else { return nil }
        self.init(
            high: UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
            low: UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
    }

    /// Parses exactly 32 characters from `0-9a-f`; nil for anything else.
    public init?(hex text: some StringProtocol) {
        let utf8 = text.utf8
        // Length first, so a hostile megabyte is refused without being scanned.
        guard utf8.count == Self.hexCount else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, char) in utf8.enumerated() {
            let nibble: UInt8
            switch char {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = char &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = char &- UInt8(ascii: "a") &+ 10
            default: return nil
            }
            if index < 16 { high = high << 4 | UInt64(nibble) } else { low = low << 4 | UInt64(nibble) }
        }
        self.init(high: high, low: low)
    }

    /// Same as `init?(hex:)`.
    public init?(_ description: String) {
        self.init(hex: description)
    }

    /// The 16 raw bytes.
    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// Lends the 16 raw bytes without allocating; the buffer is valid only inside `body`.
    /// Inlinable so that callers in other modules get a specialized copy.
    @inlinable
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let words = (high.bigEndian, low.bigEndian)
        return try Swift.withUnsafeBytes(of: words) { (buffer) throws(Failure) -> Result in try body(buffer) }
    }

    /// The text form: 32 lowercase hexadecimal characters.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(Self.hexCount)
        for word in [high, low] {
            for shift in stride(from: 60, through: 0, by: -4) {
                out.append(digits[Int((word >> UInt64(shift)) & 0xf)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The text form.
    public var description: String { hex }

    /// Byte-wise order, the order SQLite sorts the stored bytes in.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

extension OpaqueIdentifier where Purpose == EntryIDPurpose {
    /// The vault's root folder: sixteen zero bytes. It always exists, is always a live folder and
    /// is never stored as an entry, so no commit can create, move or delete it.
    public static var root: EntryID { EntryID(high: 0, low: 0) }

    /// True for the root folder's id.
    public var isRoot: Bool { high == 0 && low == 0 }
}

extension OpaqueIdentifier: CanonicalTextCodable {
    /// The id written as `hex` (32 lowercase hexadecimal characters).
    public init?(canonicalText text: String) { self.init(hex: text) }
    public var canonicalText: String { hex }
    public static var canonicalTextForm: String { "a \(Purpose.label) is 32 lowercase hexadecimal characters" }
}
