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
    @inlinable
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        let id =
            bytes.withContiguousStorageIfAvailable { Self(bytes: UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes { Self(bytes: $0) }
        guard let id else { return nil }
        self = id
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

    /// Parses exactly 32 characters from `0-9a-f`; nil for anything else. Inlinable and
    /// non-generic in its scan (`HexText`), so ids in URLs and JSON parse at memory speed.
    @inlinable
    public init?(hex text: some StringProtocol) {
        var words: (UInt64, UInt64) = (0, 0)
        let parsed = Swift.withUnsafeMutableBytes(of: &words) { raw in
            HexText.parse(text, into: raw.bindMemory(to: UInt64.self))
        }
        guard parsed else { return nil }
        self.init(high: words.0, low: words.1)
    }

    /// Parses exactly 32 UTF-8 bytes from `0-9a-f`; nil for anything else.
    @inlinable
    public init?(hexUTF8 text: UnsafeRawBufferPointer) {
        var words: (UInt64, UInt64) = (0, 0)
        let parsed = Swift.withUnsafeMutableBytes(of: &words) { raw in
            HexText.parse(text, into: raw.bindMemory(to: UInt64.self))
        }
        guard parsed else { return nil }
        self.init(high: words.0, low: words.1)
    }

    /// Same as `init?(hex:)`.
    @inlinable
    public init?(_ description: String) {
        self.init(hex: description)
    }

    /// The 16 raw bytes.
    @inlinable
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
    @inlinable
    public var hex: String {
        let words = (high, low)
        return Swift.withUnsafeBytes(of: words) { HexText.string($0.bindMemory(to: UInt64.self)) }
    }

    /// The text form.
    @inlinable
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
    @inlinable
    public init?(canonicalText text: String) { self.init(hex: text) }
    @inlinable
    public var canonicalText: String { hex }
    public static var canonicalTextForm: String { "a \(Purpose.label) is 32 lowercase hexadecimal characters" }
}
