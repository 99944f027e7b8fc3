/// A query string built from named values, percent-encoded (RFC 3986 §2.1) so no value can add
/// a parameter or end the target.
struct APIQuery {
    private var pairs: [(String, String)] = []

    /// Adds `name=value` when `value` is present.
    func adding(_ name: String, _ value: (some CustomStringConvertible)?) -> APIQuery {
        guard let value else { return self }
        var copy = self
        copy.pairs.append((name, Self.percentEncoded(value.description)))
        return copy
    }

    /// `""`, or `?a=1&b=2`.
    var text: String {
        pairs.isEmpty ? "" : "?" + pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Every byte outside the unreserved set `A–Z a–z 0–9 - . _ ~` (RFC 3986 §2.3) as `%XX`.
    static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                encoded += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return encoded
    }
}
