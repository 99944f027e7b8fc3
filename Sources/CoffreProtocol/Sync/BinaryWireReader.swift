/// Reads the fields of a binary sync body in order from borrowed bytes, checking each length
/// against the bytes left before reading or allocating. Integers are big-endian. Valid only
/// while the bytes it was made from are.
struct BinaryWireReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Bytes not read yet.
    var remaining: Int { bytes.count - offset }

    /// Throws unless `count` more bytes are left.
    func require(_ count: Int) throws(BinaryWireError) {
        guard count >= 0, count <= remaining else { throw .truncated }
    }

    /// Throws unless `count` items of at least `minimumSize` bytes each can fit in what is left,
    /// so a hostile count is refused before an array is reserved for it.
    func requireItems(_ count: Int, minimumSize: Int) throws(BinaryWireError) {
        let (total, overflow) = count.multipliedReportingOverflow(by: minimumSize)
        guard !overflow else { throw .truncated }
        try require(total)
    }

    mutating func byte() throws(BinaryWireError) -> UInt8 {
        try require(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    /// A byte that must be 0 (false) or 1 (true).
    mutating func flag(_ field: String) throws(BinaryWireError) -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        default: throw .invalidValue(field: field)
        }
    }

    mutating func uint32() throws(BinaryWireError) -> UInt32 {
        try require(4)
        defer { offset += 4 }
        return UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// A count or length: an unsigned 32-bit value, at most `limit` (else `limitExceeded(rule)`).
    mutating func count(limit: Int, rule: @autoclosure () -> String) throws(BinaryWireError) -> Int {
        let value = Int(try uint32())
        guard value <= limit else { throw .limitExceeded(rule: rule()) }
        return value
    }

    mutating func int64() throws(BinaryWireError) -> Int64 {
        try require(8)
        defer { offset += 8 }
        return Int64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self))
    }

    /// The next `count` bytes, lent without copying; valid as long as the reader's bytes.
    mutating func slice(_ count: Int) throws(BinaryWireError) -> UnsafeRawBufferPointer {
        try require(count)
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    mutating func identifier<Purpose>(_: Purpose.Type = Purpose.self) throws(BinaryWireError) -> OpaqueIdentifier<Purpose> {
        // Sixteen bytes always make an id.
        guard let id = OpaqueIdentifier<Purpose>(bytes: try slice(16)) else { throw .truncated }
        return id
    }

    mutating func blobID() throws(BinaryWireError) -> BlobID {
        guard let id = BlobID(bytes: try slice(BlobID.byteCount)) else { throw .truncated }
        return id
    }

    /// An entry kind by its record-format code (`EntryKind.code`).
    mutating func kind() throws(BinaryWireError) -> EntryKind {
        guard let kind = EntryKind(code: Int64(try byte())) else { throw .invalidValue(field: "entry kind") }
        return kind
    }

    mutating func nameTag() throws(BinaryWireError) -> NameTag {
        guard let tag = NameTag(bytes: try slice(NameTag.byteCount)) else { throw .truncated }
        return tag
    }

    /// A record: its 32-bit length, at most `maxBytes`, then its bytes.
    mutating func record(maxBytes: Int) throws(BinaryWireError) -> Base64Bytes {
        let length = try count(limit: maxBytes, rule: "a record has at most \(maxBytes) bytes")
        return Base64Bytes(Array(try slice(length)))
    }

    /// Throws unless every byte was read.
    func finish() throws(BinaryWireError) {
        guard remaining == 0 else { throw .trailingBytes }
    }
}
