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
        var bytes: [UInt8] = []
        encode(name, into: &bytes)
        text += String(decoding: bytes, as: UTF8.self)
    }

    /// `encode(_:into:)` appending to bytes.
    static func encode(_ name: String, into out: inout [UInt8]) {
        var name = name
        name.withUTF8 { utf8 in
            guard !utf8.allSatisfy(isAllowed) else { return out.append(contentsOf: utf8) }
            encode(utf8, into: &out)
        }
    }

    private static func encode(_ utf8: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        let hex: StaticString = "0123456789ABCDEF"
        for byte in utf8 {
            if isAllowed(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                hex.withUTF8Buffer { digits in
                    out.append(digits[Int(byte >> 4)])
                    out.append(digits[Int(byte & 0x0F)])
                }
            }
        }
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
