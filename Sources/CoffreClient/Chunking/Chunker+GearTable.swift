import CoffreCrypto

extension Chunker {
    /// The label HMAC'd, followed by one index byte, to derive each gear entry.
    static let gearLabel = Array("coffre/v1/gear".utf8)

    /// `gear[i]` = the first 8 bytes, read as a little-endian u64, of
    /// `HMAC-SHA256(key, "coffre/v1/gear" ‖ u8(i))` for i in 0..<256 (RFC 2104 HMAC).
    /// A secret table makes the cut points unpredictable without the key.
    static func gear(key: some RandomAccessCollection<UInt8>) throws(ChunkingError) -> [UInt64] {
        guard key.count == keyByteCount else { throw .invalidKeyLength(actual: key.count) }
        guard key.contains(where: { $0 != 0 }) else { throw .allZeroKey }
        let keyBytes = Array(key)
        var message = gearLabel + [0]
        var table: [UInt64] = []
        table.reserveCapacity(256)
        for index in 0..<256 {
            message[message.count - 1] = UInt8(index)
            let tag: [UInt8]
            do {
                tag = try HMACSHA256.authenticationCode(for: message, key: keyBytes)
            } catch {
                throw .gearDerivationFailed(detail: error.description)
            }
            table.append(tag[0..<8].reversed().reduce(0) { ($0 << 8) | UInt64($1) })
        }
        return table
    }
}

extension Chunker: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Names the sizes only: the gear table is secret and never printed.
    public var description: String {
        "Chunker(FastCDC min \(parameters.minimumSize), normal \(parameters.normalSize), max \(parameters.maximumSize))"
    }

    /// Same as `description`: no gear values.
    public var debugDescription: String { description }

    /// Hides the gear table from `dump` and debuggers' mirrors.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
