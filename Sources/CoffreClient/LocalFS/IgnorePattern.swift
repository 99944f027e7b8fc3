/// One compiled line of a `.coffreignore` file, with the semantics of gitignore(5)
/// (https://git-scm.com/docs/gitignore, "PATTERN FORMAT"). Compiled once; matching allocates
/// nothing on the heap.
public struct IgnorePattern: Sendable, Equatable {
    /// The line as written (after removing the line ending), for diagnostics.
    public let source: String
    /// `!pattern`: a match re-includes what an earlier pattern excluded.
    public let isNegated: Bool
    /// `pattern/`: matches folders only.
    public let matchesFoldersOnly: Bool
    /// The pattern has a `/` at its start or middle, so it matches the path relative to the
    /// ignore file's folder; otherwise it matches the last component at any depth.
    public let isAnchored: Bool
    let matcher: Matcher

    /// How a pattern is matched: the fast shapes first, then a general automaton.
    enum Matcher: Sendable, Equatable {
        /// No wildcard at all: byte equality.
        case literal([UInt8])
        /// `*` followed by a literal (`*.swp`): a suffix test on the component.
        case suffix([UInt8])
        /// A literal followed by `*` (`.#*`): a prefix test on the component.
        case prefix([UInt8])
        /// Anything else, run as an NFA over Unicode scalars (`IgnorePattern+Matching.swift`).
        case general([Token])
    }

    /// One step of a general pattern.
    enum Token: Sendable, Equatable {
        /// Exactly this scalar.
        case scalar(Unicode.Scalar)
        /// `?`: one scalar other than `/`.
        case anyScalar
        /// `[...]`: one scalar other than `/` that is (or, negated, is not) in the class.
        case set(ScalarClass)
        /// `*`: any run of scalars without `/`.
        case star
        /// `**` as the last component (`/**`): any run of scalars, `/` included.
        case anything
        /// `**/` as a whole component: zero or more `name/` segments. This token is the state
        /// "at a segment boundary"; `segmentBody` that follows it is the state "inside one".
        case segmentStart
        /// See `segmentStart`.
        case segmentBody
    }

    /// Longest pattern line accepted, in bytes; longer lines are rejected as invalid.
    public static let maximumByteCount = 4096

    /// Parses one line. Returns nil for lines that hold no pattern (blank, comment) and for
    /// invalid ones (an unterminated `[`, a trailing lone `\`, an over-long line), which git
    /// also never matches.
    public init?(line: some StringProtocol) {
        var scalars = Array(line.unicodeScalars)
        if scalars.last == "\r" { scalars.removeLast() }  // CRLF files
        guard !scalars.isEmpty, String(line).utf8.count <= Self.maximumByteCount else { return nil }
        // "A line starting with # serves as a comment."
        if scalars[0] == "#" { return nil }
        // "Trailing spaces are ignored unless they are quoted with backslash."
        while scalars.last == " " {
            let count = scalars.count
            if count >= 2 && scalars[count - 2] == "\\" && Self.isEscaped(scalars, at: count - 1) { break }
            scalars.removeLast()
        }
        guard !scalars.isEmpty else { return nil }
        self.source = String(String.UnicodeScalarView(scalars))
        // "An optional prefix "!" which negates the pattern."
        var negated = false
        if scalars[0] == "!" {
            negated = true
            scalars.removeFirst()
        }
        // "If there is a separator at the end of the pattern then the pattern will only match
        // directories."
        var foldersOnly = false
        if scalars.last == "/" && !Self.isEscaped(scalars, at: scalars.count - 1) {
            foldersOnly = true
            scalars.removeLast()
        }
        guard !scalars.isEmpty else { return nil }
        // "If there is a separator at the beginning or middle of the pattern, then the pattern
        // is relative to the directory level of the particular .gitignore file itself."
        let anchored = scalars.contains("/")
        if scalars[0] == "/" { scalars.removeFirst() }
        guard !scalars.isEmpty, let tokens = Self.tokenize(scalars) else { return nil }
        self.isNegated = negated
        self.matchesFoldersOnly = foldersOnly
        self.isAnchored = anchored
        self.matcher = Self.simplify(tokens)
    }

    /// Whether the scalar at `index` is preceded by an odd number of backslashes.
    private static func isEscaped(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        var count = 0
        var i = index - 1
        while i >= 0 && scalars[i] == "\\" {
            count += 1
            i -= 1
        }
        return count % 2 == 1
    }

    /// Turns the pattern text into tokens; nil when it is invalid.
    private static func tokenize(_ s: [Unicode.Scalar]) -> [Token]? {
        var tokens: [Token] = []
        var i = 0
        while i < s.count {
            let c = s[i]
            switch c {
            case "\\":
                // "Put a backslash ("\") in front of the first "!"/"#"/... for patterns that
                // begin with a literal": a backslash quotes the next character; a trailing one
                // is invalid.
                guard i + 1 < s.count else { return nil }
                tokens.append(.scalar(s[i + 1]))
                i += 2
            case "?":
                tokens.append(.anyScalar)
                i += 1
            case "[":
                guard let (set, next) = ScalarClass.parse(s, openingBracket: i) else { return nil }
                tokens.append(.set(set))
                i = next
            case "*":
                var end = i
                while end < s.count && s[end] == "*" { end += 1 }
                let startsComponent = i == 0 || s[i - 1] == "/"
                let endsComponent = end == s.count || s[end] == "/"
                if end - i >= 2 && startsComponent && endsComponent {
                    if end == s.count {
                        // "A trailing "/**" matches everything inside" (and a lone "**" all).
                        tokens.append(.anything)
                        i = end
                    } else {
                        // "A leading "**" followed by a slash means match in all directories";
                        // "a/**/b" matches zero or more directories. The slash is consumed.
                        tokens.append(.segmentStart)
                        tokens.append(.segmentBody)
                        i = end + 1
                    }
                } else {
                    // "Other consecutive asterisks are considered regular asterisks."
                    tokens.append(.star)
                    i = end
                }
            default:
                tokens.append(.scalar(c))
                i += 1
            }
        }
        return tokens
    }

    /// Recognises the literal, `*literal` and `literal*` shapes.
    private static func simplify(_ tokens: [Token]) -> Matcher {
        func literal(_ part: ArraySlice<Token>) -> [UInt8]? {
            var bytes: [UInt8] = []
            for token in part {
                guard case .scalar(let scalar) = token else { return nil }
                bytes.append(contentsOf: String(scalar).utf8)
            }
            return bytes
        }
        if let bytes = literal(tokens[...]) { return .literal(bytes) }
        if tokens.first == .star, let bytes = literal(tokens.dropFirst()), !bytes.contains(UInt8(ascii: "/")) {
            return .suffix(bytes)
        }
        if tokens.last == .star, let bytes = literal(tokens.dropLast()), !bytes.contains(UInt8(ascii: "/")) {
            return .prefix(bytes)
        }
        return .general(tokens)
    }
}
