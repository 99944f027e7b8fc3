import CoffreProtocol

extension CommitReceipt {
    /// The receipt read from exactly the compact text coffred writes, `{"replayed":false,"seq":42}`
    /// (sorted keys, no whitespace, no `-0`), without setting up a `JSONDecoder` for one answer per
    /// commit; nil for any other text — other spacing, key order, a leading zero
    /// (RFC 8259 §6), an integer beyond `Int64` — which the caller then hands to the full decoder.
    init?(compactJSON bytes: [UInt8]) {
        let prefix = Array(#"{"replayed":"#.utf8)
        let middle = Array(#","seq":"#.utf8)
        var rest = bytes[...]
        guard rest.starts(with: prefix) else { return nil }
        rest = rest.dropFirst(prefix.count)
        let replayed: Bool
        if rest.starts(with: "true".utf8) {
            replayed = true
            rest = rest.dropFirst(4)
        } else if rest.starts(with: "false".utf8) {
            replayed = false
            rest = rest.dropFirst(5)
        } else {
            return nil
        }
        guard rest.starts(with: middle), rest.last == UInt8(ascii: "}") else { return nil }
        let number = rest.dropFirst(middle.count).dropLast()
        let negative = number.first == UInt8(ascii: "-")
        let digits = negative ? number.dropFirst() : number
        guard let first = digits.first, first != UInt8(ascii: "0") || (digits.count == 1 && !negative) else { return nil }
        // Accumulated negatively so that Int64.min, whose magnitude Int64 cannot hold, reads too.
        var value: Int64 = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            let (times10, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = times10.subtractingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
            guard !overflowA, !overflowB else { return nil }
            value = next
        }
        if !negative {
            guard value != Int64.min else { return nil }
            value = -value
        }
        self.init(seq: value, replayed: replayed)
    }
}
