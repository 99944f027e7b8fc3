/// Appends the big-endian, length-prefixed fields of docs/format.md to a byte array.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { append(bigEndian: value) }
    mutating func u32(_ value: UInt32) { append(bigEndian: value) }
    mutating func u64(_ value: UInt64) { append(bigEndian: value) }
    mutating func i64(_ value: Int64) { append(bigEndian: UInt64(bitPattern: value)) }
    mutating func raw(_ data: some Sequence<UInt8>) { bytes.append(contentsOf: data) }

    /// `lp(x)` = u16be(len x) ‖ x. Callers keep fields under 65,536 bytes (checked).
    mutating func lengthPrefixed(_ data: some Collection<UInt8>) {
        precondition(data.count <= Int(UInt16.max), "length-prefixed field too long")
        u16(UInt16(data.count))
        raw(data)
    }

    mutating func zeros(_ count: Int) { bytes.append(contentsOf: repeatElement(0, count: count)) }

    private mutating func append<T: FixedWidthInteger>(bigEndian value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
