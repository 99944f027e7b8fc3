/// The id of a blob: the SHA-256 of its bytes (DESIGN §6, "Blob id = SHA-256(blob)").
///
/// Its canonical text form is exactly 64 lowercase hexadecimal characters. Ids arrive in URLs
/// from the network, so parsing accepts nothing else: no uppercase, no prefix, no whitespace,
/// no other length. Stored as four big-endian words so ids hash and compare without allocating;
/// parsing and formatting go through `HexText` and are inlinable, so other modules get code
/// specialized for their string type.
public struct BlobID: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    /// Length of an id in bytes.
    public static let byteCount = 32
    /// Length of the canonical text form in characters.
    public static let hexCount = 64

    /// The four words, most significant first.
    @usableFromInline let word0: UInt64
    @usableFromInline let word1: UInt64
    @usableFromInline let word2: UInt64
    @usableFromInline let word3: UInt64

    @inlinable
    init(words: (UInt64, UInt64, UInt64, UInt64)) {
        (word0, word1, word2, word3) = words
    }

    /// Creates an id from its 32 raw bytes in memory; nil for any other length.
    @inlinable
    public init?(bytes buffer: UnsafeRawBufferPointer) {
        guard buffer.count == 32 else { return nil }
        self.init(words: (
            UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
            UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
            UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
            UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 24, as: UInt64.self))))
    }

    /// Creates an id from its 32 raw bytes (a SHA-256 digest); nil for any other length.
    @inlinable
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        let id =
            bytes.withContiguousStorageIfAvailable { Self(bytes: UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes { Self(bytes: $0) }
        guard let id else { return nil }
        self = id
    }

    /// Parses the canonical form: exactly 64 characters from `0-9a-f`; nil for anything else.
    @inlinable
    public init?(hex text: some StringProtocol) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let parsed = Swift.withUnsafeMutableBytes(of: &words) { raw in
            HexText.parse(text, into: raw.bindMemory(to: UInt64.self))
        }
        guard parsed else { return nil }
        self.init(words: words)
    }

    /// Parses exactly 64 UTF-8 bytes from `0-9a-f`; nil for anything else.
    @inlinable
    public init?(hexUTF8 text: UnsafeRawBufferPointer) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let parsed = Swift.withUnsafeMutableBytes(of: &words) { raw in
            HexText.parse(text, into: raw.bindMemory(to: UInt64.self))
        }
        guard parsed else { return nil }
        self.init(words: words)
    }

    /// Same as `init?(hex:)`, for `LosslessStringConvertible`.
    @inlinable
    public init?(_ description: String) {
        self.init(hex: description)
    }

    /// Lends the 32 raw bytes without allocating; the buffer is valid only inside `body`.
    @inlinable
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let words = (word0.bigEndian, word1.bigEndian, word2.bigEndian, word3.bigEndian)
        return try Swift.withUnsafeBytes(of: words) { (buffer) throws(Failure) -> Result in try body(buffer) }
    }

    /// The 32 raw bytes, most significant first.
    @inlinable
    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// The canonical text form: 64 lowercase hexadecimal characters.
    @inlinable
    public var hex: String {
        let words = (word0, word1, word2, word3)
        return Swift.withUnsafeBytes(of: words) { HexText.string($0.bindMemory(to: UInt64.self)) }
    }

    /// The canonical text form.
    @inlinable
    public var description: String { hex }
}

extension BlobID: CanonicalTextCodable {
    /// The id written as `hex` (64 lowercase hexadecimal characters).
    @inlinable
    public init?(canonicalText text: String) { self.init(hex: text) }
    @inlinable
    public var canonicalText: String { hex }
    public static var canonicalTextForm: String { "a blob id is 64 lowercase hexadecimal characters" }
}
