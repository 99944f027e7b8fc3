/// Appends the fields of a binary sync body, big-endian, to a byte array reserved up front.
struct BinaryWireWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    mutating func byte(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func flag(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }

    mutating func uint32(_ value: UInt32) {
        Swift.withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// A count or length. Callers check their values against the limits first, which are far
    /// below 2³²; a larger value is a programming error.
    mutating func count(_ value: Int) {
        guard let value = UInt32(exactly: value) else { preconditionFailure("a binary count does not fit in 32 bits") }
        uint32(value)
    }

    mutating func int64(_ value: Int64) {
        Swift.withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func identifier<Purpose>(_ id: OpaqueIdentifier<Purpose>) {
        id.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    mutating func blobID(_ id: BlobID) {
        id.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    mutating func nameTag(_ tag: NameTag) {
        bytes.append(contentsOf: tag.bytes)
    }

    /// A record: its 32-bit length, then its bytes.
    mutating func record(_ record: Base64Bytes) {
        count(record.bytes.count)
        bytes.append(contentsOf: record.bytes)
    }
}
