import Glibc

extension IgnorePattern {
    /// Whether this pattern matches an entry. `relativePath` is the entry's NFC path relative
    /// to the folder holding the ignore file, `name` its last component; `isFolder` says
    /// whether it is a folder. A match means "ignored", or "re-included" when `isNegated`.
    public func matches(relativePath: Substring, name: Substring, isFolder: Bool) -> Bool {
        if matchesFoldersOnly && !isFolder { return false }
        let text = isAnchored ? relativePath : name
        if case .general(let tokens) = matcher { return Self.run(tokens, on: text.unicodeScalars) }
        // Native strings are contiguous UTF-8: compare bytes in place, no copy, no iterator.
        if let result = text.utf8.withContiguousStorageIfAvailable({ matchesFastShape($0) }) { return result }
        return Array(text.utf8).withUnsafeBufferPointer { matchesFastShape($0) }
    }

    /// The literal, suffix and prefix shapes over the text's bytes. `*` does not match `/`
    /// (gitignore: "matches anything except a slash"), which only an anchored text can hold.
    private func matchesFastShape(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        func equal(_ range: Range<Int>, _ bytes: [UInt8]) -> Bool {
            bytes.withUnsafeBufferPointer { memcmp(text.baseAddress! + range.lowerBound, $0.baseAddress!, bytes.count) == 0 }
        }
        func hasNoSlash(_ range: Range<Int>) -> Bool {
            !isAnchored || !text[range].contains(UInt8(ascii: "/"))
        }
        switch matcher {
        case .literal(let bytes):
            return text.count == bytes.count && (bytes.isEmpty || equal(0..<bytes.count, bytes))
        case .suffix(let bytes):
            guard text.count >= bytes.count else { return false }
            let start = text.count - bytes.count
            return (bytes.isEmpty || equal(start..<text.count, bytes)) && hasNoSlash(0..<start)
        case .prefix(let bytes):
            guard text.count >= bytes.count else { return false }
            return (bytes.isEmpty || equal(0..<bytes.count, bytes)) && hasNoSlash(bytes.count..<text.count)
        case .general:
            return false
        }
    }

    /// Simulates the pattern's NFA over `text`, keeping the set of live states (one per token,
    /// plus "done") in two stack-allocated rows: O(len(text) × len(tokens)) time whatever the
    /// pattern, so no hostile pattern can make matching exponential.
    static func run(_ tokens: [Token], on text: Substring.UnicodeScalarView) -> Bool {
        let states = tokens.count + 1
        return withUnsafeTemporaryAllocation(of: Bool.self, capacity: 2 * states) { rows in
            let current = UnsafeMutableBufferPointer(rebasing: rows[0..<states])
            let next = UnsafeMutableBufferPointer(rebasing: rows[states..<(2 * states)])
            current.initialize(repeating: false)
            next.initialize(repeating: false)
            current[0] = true
            followEmptyMoves(tokens, current)
            for scalar in text {
                var anyLive = false
                for j in 0..<tokens.count where current[j] {
                    switch tokens[j] {
                    case .scalar(let expected):
                        if scalar == expected { next[j + 1] = true }
                    case .anyScalar:
                        if scalar != "/" { next[j + 1] = true }
                    case .set(let set):
                        if set.matches(scalar) { next[j + 1] = true }
                    case .star:
                        if scalar != "/" { next[j] = true }
                    case .anything:
                        next[j] = true
                    case .segmentStart:
                        if scalar != "/" { next[j + 1] = true }
                    case .segmentBody:
                        // A segment ends at its "/": back to the boundary state.
                        next[scalar == "/" ? j - 1 : j] = true
                    }
                }
                followEmptyMoves(tokens, next)
                for j in 0..<states {
                    current[j] = next[j]
                    anyLive = anyLive || next[j]
                    next[j] = false
                }
                if !anyLive { return false }
            }
            return current[tokens.count]
        }
    }

    /// Adds the states reachable without consuming input. Every such move goes forward, so
    /// one pass in order reaches the closure.
    private static func followEmptyMoves(_ tokens: [Token], _ row: UnsafeMutableBufferPointer<Bool>) {
        for j in 0..<tokens.count where row[j] {
            switch tokens[j] {
            case .star, .anything: row[j + 1] = true
            case .segmentStart: row[j + 2] = true
            default: break
            }
        }
    }
}
