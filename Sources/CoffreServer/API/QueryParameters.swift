import CoffreProtocol

/// A parsed query string (`since=1700000000&limit=50`): each name at most once, only names the
/// route knows, values percent-decoded (RFC 3986 §2.1) into UTF-8 without NUL.
struct QueryParameters {
    /// Longest query accepted.
    static let maximumLength = 1024

    private var values: [String: String] = [:]

    init(_ query: String, allowed: Set<String>) throws(APIError) {
        guard query.utf8.count <= Self.maximumLength else { throw .invalidQuery("query", "is too long") }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.decode(parts[0], name: "query")
            guard allowed.contains(name) else { throw .invalidQuery("query", "has an unknown parameter") }
            guard values[name] == nil else { throw .invalidQuery(name, "is given more than once") }
            values[name] = parts.count == 2 ? try Self.decode(parts[1], name: name) : ""
        }
    }

    /// The raw value of `name`, if present.
    subscript(_ name: String) -> String? { values[name] }

    /// `name` as a decimal integer within `range`, if present.
    func integer(_ name: String, in range: ClosedRange<Int64> = 0...Int64.max) throws(APIError) -> Int64? {
        guard let text = values[name] else { return nil }
        guard !text.isEmpty, text.utf8.count <= 20, let value = Int64(text), range.contains(value) else {
            throw .invalidQuery(name, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    private static func decode(_ text: Substring, name: String) throws(APIError) -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw .invalidQuery(name, "has invalid percent-encoding")
            }
            bytes.append(high << 4 | low)
        }
        guard !bytes.contains(0), let decoded = String(validating: bytes, as: UTF8.self) else {
            throw .invalidQuery(name, "is not valid UTF-8")
        }
        return decoded
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
