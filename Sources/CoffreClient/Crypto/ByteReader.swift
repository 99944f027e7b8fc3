/// Reads docs/format.md fields from untrusted bytes: every read is bounds-checked and fails with
/// `CryptoFormatError.malformed` naming the structure, never traps.
struct ByteReader {
    private let bytes: UnsafeRawBufferPointer
    private let structure: String
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer, structure: String) {
        self.bytes = bytes
        self.structure = structure
    }

    var remaining: Int { bytes.count - offset }

    mutating func u8() throws(CryptoFormatError) -> UInt8 { try take(1)[0] }
    mutating func u16() throws(CryptoFormatError) -> UInt16 { UInt16(try integer(2)) }
    mutating func u32() throws(CryptoFormatError) -> UInt32 { UInt32(try integer(4)) }
    mutating func u64() throws(CryptoFormatError) -> UInt64 { try integer(8) }
    mutating func i64() throws(CryptoFormatError) -> Int64 { Int64(bitPattern: try integer(8)) }

    /// The next `count` bytes, in place.
    mutating func take(_ count: Int) throws(CryptoFormatError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else {
            throw .malformed(structure: structure, reason: "needs \(count) more bytes at offset \(offset), has \(remaining)")
        }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    /// `lp(x)`: a u16be length, at most `maximum`, then that many bytes.
    mutating func lengthPrefixed(maximum: Int, field: String) throws(CryptoFormatError) -> UnsafeRawBufferPointer {
        let length = Int(try u16())
        guard length <= maximum else {
            throw .malformed(structure: structure, reason: "\(field) is \(length) bytes, limit \(maximum)")
        }
        return try take(length)
    }

    /// Fails unless everything left is zero bytes (padding).
    func requireZeroTail() throws(CryptoFormatError) {
        var accumulated: UInt8 = 0
        for index in offset..<bytes.count { accumulated |= bytes[index] }
        guard accumulated == 0 else { throw .nonzeroPadding(structure: structure) }
    }

    private mutating func integer(_ width: Int) throws(CryptoFormatError) -> UInt64 {
        try take(width).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }
}
