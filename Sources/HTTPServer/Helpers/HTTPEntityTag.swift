/// An entity tag (RFC 9110 §8.8.3): an opaque validator, strong or weak.
public struct HTTPEntityTag: Sendable, Hashable, CustomStringConvertible {
    /// The opaque tag without quotes.
    public var opaqueTag: String
    /// True for a weak validator (`W/"..."`).
    public var isWeak: Bool

    /// A tag; `opaqueTag` must not contain `"` (etagc excludes DQUOTE), nor control characters.
    public init?(_ opaqueTag: String, weak: Bool = false) {
        guard opaqueTag.utf8.allSatisfy({ $0 == 0x21 || ($0 >= 0x23 && $0 != 0x7F) }) else { return nil }
        self.opaqueTag = opaqueTag
        self.isWeak = weak
    }

    /// The field value form: `"tag"` or `W/"tag"`.
    public var description: String { (isWeak ? "W/" : "") + "\"\(opaqueTag)\"" }

    /// Strong comparison (RFC 9110 §8.8.3.2): both strong and the same opaque tag.
    public func matchesStrongly(_ other: HTTPEntityTag) -> Bool {
        !isWeak && !other.isWeak && opaqueTag == other.opaqueTag
    }

    /// Weak comparison (RFC 9110 §8.8.3.2): the same opaque tag, weak or not.
    public func matchesWeakly(_ other: HTTPEntityTag) -> Bool {
        opaqueTag == other.opaqueTag
    }

    /// A parsed If-Match / If-None-Match value: `*`, or a list of tags.
    enum Condition: Equatable {
        case any
        case tags([HTTPEntityTag])
    }

    /// Parses `*` or `#entity-tag` (RFC 9110 §13.1.1); nil when malformed (the field is then
    /// treated as not matching anything).
    static func parseCondition(_ value: String) -> Condition? {
        let trimmed = value.trimmingASCIIWhitespace()
        if trimmed == "*" { return .any }
        var tags: [HTTPEntityTag] = []
        var rest = Substring(trimmed)
        while true {
            rest = Substring(rest.trimmingASCIIWhitespace())
            if rest.isEmpty { break }
            var weak = false
            if rest.hasPrefix("W/") {
                weak = true
                rest = rest.dropFirst(2)
            }
            guard rest.first == "\"", let close = rest.dropFirst().firstIndex(of: "\"") else { return nil }
            guard let tag = HTTPEntityTag(String(rest[rest.index(after: rest.startIndex)..<close]), weak: weak) else { return nil }
            tags.append(tag)
            rest = rest[rest.index(after: close)...]
            rest = Substring(rest.trimmingASCIIWhitespace())
            if rest.isEmpty { break }
            guard rest.first == "," else { return nil }
            rest = rest.dropFirst()
        }
        return tags.isEmpty ? nil : .tags(tags)
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces and tabs (OWS, RFC 9110 §5.6.3).
    func trimmingASCIIWhitespace() -> String {
        let isOWS: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isOWS($0) }), let end = lastIndex(where: { !isOWS($0) }) else { return "" }
        return String(self[start...end])
    }
}
