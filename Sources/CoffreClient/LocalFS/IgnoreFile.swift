/// The patterns of one `.coffreignore` file, which apply to the entries below the folder that
/// holds it (gitignore(5): "Patterns read from a .gitignore file in the same directory as the
/// path, or in any parent directory ... with patterns in the higher level files being
/// overridden by those in lower level files").
public struct IgnoreFile: Sendable, Equatable {
    /// Largest ignore file read, in bytes; a larger one is rejected (`SkipReason.ignoreFileRejected`).
    public static let maximumByteCount = 1 << 20

    /// The NFC path of the folder holding the file, relative to the root ("" for the root).
    public let folder: String
    /// The valid patterns, in file order (a later match wins).
    public let patterns: [IgnorePattern]
    /// 1-based numbers of lines that looked like patterns but were invalid and are never matched.
    public let invalidLines: [Int]

    /// Parses a file's bytes (UTF-8; invalid sequences become U+FFFD and so match nothing real).
    /// Patterns are normalized to NFC, like the paths they are matched against.
    public init(folder: String, contents: some Collection<UInt8>) {
        self.folder = NameEquivalence.nfc(folder)
        var patterns: [IgnorePattern] = []
        var invalid: [Int] = []
        let text = NameEquivalence.nfc(String(decoding: contents, as: UTF8.self))
        // Split on the byte: as Characters, "\r\n" is one grapheme that "\n" would not match.
        let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Substring($0) }
        for (index, line) in lines.enumerated() {
            if let pattern = IgnorePattern(line: line) {
                patterns.append(pattern)
            } else if Self.holdsPattern(line) {
                invalid.append(index + 1)
            }
        }
        self.patterns = patterns
        self.invalidLines = invalid
    }

    /// Patterns from literal lines, for built-in rule sets.
    init(folder: String, lines: [String]) {
        self.init(folder: folder, contents: Array(lines.joined(separator: "\n").utf8))
    }

    /// Whether a line that did not parse was meant as a pattern (not blank, not a comment).
    private static func holdsPattern(_ line: Substring) -> Bool {
        let trimmed = line.drop { $0 == " " || $0 == "\r" || $0 == "\t" }
        return !trimmed.isEmpty && !trimmed.hasPrefix("#") && trimmed != "\r"
    }

    /// The decision of the last pattern in this file that matches, if any: true = ignored,
    /// false = re-included.
    func decision(relativePath: Substring, name: Substring, isFolder: Bool) -> Bool? {
        for pattern in patterns.reversed() where pattern.matches(relativePath: relativePath, name: name, isFolder: isFolder) {
            return !pattern.isNegated
        }
        return nil
    }
}
