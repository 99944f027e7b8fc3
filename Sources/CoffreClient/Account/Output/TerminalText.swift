/// Makes text from the network or the disk safe to print on a terminal: a hostile server could
/// otherwise send escape sequences (ECMA-48) that move the cursor, rewrite earlier lines or set
/// the window title, or bidirectional overrides that reorder what is shown.
public enum TerminalText {
    /// `text` with every control character (C0, DEL, C1), line and paragraph separator and
    /// bidirectional or invisible format character replaced by `?`, cut to `limit` characters
    /// (with `…`).
    public static func sanitized(_ text: String, limit: Int = 256) -> String {
        var result = String.UnicodeScalarView()
        var count = 0
        for scalar in text.unicodeScalars {
            guard count < limit else {
                result.append("…")
                break
            }
            result.append(isSafe(scalar) ? scalar : "?")
            count += 1
        }
        return String(result)
    }

    /// Printable scalars only: no C0/C1 control or DEL, no U+2028/U+2029, and no format
    /// character (general category Cf: bidi embeddings, overrides and isolates, zero-width
    /// characters) except the zero-width joiner, which emoji sequences use.
    static func isSafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: return false
        case 0x200D: return true
        default: return scalar.properties.generalCategory != .format
        }
    }
}
