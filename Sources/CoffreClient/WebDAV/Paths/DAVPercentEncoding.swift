/// Percent-encoding of path segments (RFC 3986 §2.1, §3.3).
enum DAVPercentEncoding {
    /// Decodes one segment; throws for a malformed escape or bytes that are not UTF-8.
    static func decode(_ segment: some Collection<UInt8>) throws(DAVError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(segment.count)
        var index = segment.startIndex
        while index != segment.endIndex {
            let byte = segment[index]
            index = segment.index(after: index)
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard index != segment.endIndex, let high = hexValue(segment[index]) else { throw .badRequest("malformed percent escape") }
            index = segment.index(after: index)
            guard index != segment.endIndex, let low = hexValue(segment[index]) else { throw .badRequest("malformed percent escape") }
            index = segment.index(after: index)
            bytes.append(high << 4 | low)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .badRequest("name is not UTF-8") }
        return text
    }

    /// Appends `name` to `text` with every byte outside RFC 3986's unreserved set and a few
    /// safe sub-delims encoded (so the result is also safe inside XML and a header).
    static func encode(_ name: String, into text: inout String) {
        var needsEncoding = false
        for byte in name.utf8 where !isAllowed(byte) {
            needsEncoding = true
            break
        }
        guard needsEncoding else {
            text += name
            return
        }
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(name.utf8.count * 3)
        for byte in name.utf8 {
            if isAllowed(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        text += String(decoding: out, as: UTF8.self)
    }

    /// unreserved (ALPHA / DIGIT / "-" / "." / "_" / "~") plus "!$'()*+,;=:@" from pchar.
    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "!"), UInt8(ascii: "$"),
            UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","),
            UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "@"):
            true
        default:
            false
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
