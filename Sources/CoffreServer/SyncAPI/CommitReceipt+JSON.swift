import CoffreProtocol

extension CommitReceipt {
    /// The receipt as the JSON text `JSONEncoder` writes with sorted keys,
    /// `{"replayed":false,"seq":42}`, written directly: one answer per commit, where setting up
    /// an encoder cost more than the rest of the answer (docs/performance.md, "WebDAV gateway").
    /// Only an integer and a literal go in (RFC 8259 §6 numbers, §3 literals), so there is
    /// nothing to escape.
    var jsonBytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(48)
        bytes.append(contentsOf: #"{"replayed":"#.utf8)
        bytes.append(contentsOf: (replayed ? "true" : "false").utf8)
        bytes.append(contentsOf: #","seq":"#.utf8)
        bytes.append(contentsOf: String(seq).utf8)
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}
