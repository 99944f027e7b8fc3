/// A bracket expression of an ignore pattern (`[a-z]`, `[!0-9]`, `[[:alpha:]_]`), as git's
/// wildmatch reads it: `!` or `^` first negates, a `]` first is literal, `a-z` is an
/// inclusive range of scalars, a backslash quotes the next character, and the POSIX classes
/// `[:name:]` are ASCII-only. A class never matches `/`.
struct ScalarClass: Sendable, Equatable {
    /// POSIX character class names understood inside brackets.
    enum Named: String, Sendable, CaseIterable {
        case alnum, alpha, blank, cntrl, digit, graph, lower, print, punct, space, upper, xdigit

        func contains(_ s: Unicode.Scalar) -> Bool {
            guard s.isASCII else { return false }
            let v = UInt8(s.value)
            let isDigit = (0x30...0x39).contains(v)
            let isUpper = (0x41...0x5A).contains(v)
            let isLower = (0x61...0x7A).contains(v)
            switch self {
            case .alnum: return isDigit || isUpper || isLower
            case .alpha: return isUpper || isLower
            case .blank: return v == 0x20 || v == 0x09
            case .cntrl: return v < 0x20 || v == 0x7F
            case .digit: return isDigit
            case .graph: return v > 0x20 && v < 0x7F
            case .lower: return isLower
            case .print: return v >= 0x20 && v < 0x7F
            case .punct: return v > 0x20 && v < 0x7F && !(isDigit || isUpper || isLower)
            case .space: return v == 0x20 || (0x09...0x0D).contains(v)
            case .upper: return isUpper
            case .xdigit: return isDigit || (0x41...0x46).contains(v) || (0x61...0x66).contains(v)
            }
        }
    }

    var negated: Bool
    var ranges: [ClosedRange<UInt32>]
    var named: [Named]

    /// Whether the class accepts `s`.
    func matches(_ s: Unicode.Scalar) -> Bool {
        if s == "/" { return false }
        let inside = ranges.contains { $0.contains(s.value) } || named.contains { $0.contains(s) }
        return inside != negated
    }

    /// Parses the class whose `[` is at `openingBracket`; returns it and the index after its
    /// `]`, or nil when it is not terminated (or names an unknown POSIX class).
    static func parse(_ s: [Unicode.Scalar], openingBracket: Int) -> (ScalarClass, Int)? {
        var i = openingBracket + 1
        var result = ScalarClass(negated: false, ranges: [], named: [])
        if i < s.count && (s[i] == "!" || s[i] == "^") {
            result.negated = true
            i += 1
        }
        var first = true
        while i < s.count {
            var c = s[i]
            if c == "]" && !first { return (result, i + 1) }
            first = false
            if c == "[" && i + 1 < s.count && s[i + 1] == ":" {
                guard let close = findNamedClassEnd(s, from: i + 2) else { return nil }
                let name = String(String.UnicodeScalarView(s[(i + 2)..<close]))
                guard let named = Named(rawValue: name) else { return nil }
                result.named.append(named)
                i = close + 2
                continue
            }
            if c == "\\" {
                guard i + 1 < s.count else { return nil }
                i += 1
                c = s[i]
            }
            i += 1
            // A range "c-d", unless the "-" is the last character before "]".
            if i + 1 < s.count && s[i] == "-" && s[i + 1] != "]" {
                var upper = s[i + 1]
                i += 2
                if upper == "\\" {
                    guard i < s.count else { return nil }
                    upper = s[i]
                    i += 1
                }
                // A reversed range matches nothing, as in wildmatch.
                if c.value <= upper.value { result.ranges.append(c.value...upper.value) }
            } else {
                result.ranges.append(c.value...c.value)
            }
        }
        return nil
    }

    /// The index of the `:` of the `:]` that closes a `[:name:` opened before `from`.
    private static func findNamedClassEnd(_ s: [Unicode.Scalar], from: Int) -> Int? {
        var i = from
        while i + 1 < s.count {
            if s[i] == ":" && s[i + 1] == "]" { return i }
            i += 1
        }
        return nil
    }
}
