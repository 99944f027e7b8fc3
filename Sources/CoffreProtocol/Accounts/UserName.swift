/// A user name: 1–64 characters of `[a-z0-9._-]`, starting with a letter or digit
/// (the pattern `[a-z0-9][a-z0-9._-]{0,63}`).
///
/// The syntax is ASCII on purpose: it needs no Unicode normalization (every such string is
/// already in NFC), it has no look-alike characters, it cannot hold `/`, control characters or
/// spaces, and it is safe in paths, logs and command lines. Names are compared exactly; nothing
/// is folded, so `Alice` is refused rather than silently turned into `alice`. Request bodies carry
/// names as plain strings, so the server can answer `invalid_user_name` with the reason.
public struct UserName: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// Longest name, in characters (= bytes).
    public static let maximumLength = 64

    /// The validated name.
    public let rawValue: String

    /// Validates `rawValue`; nil when it breaks the syntax.
    public init?(rawValue: String) {
        guard Self.problem(with: rawValue) == nil else { return nil }
        self.rawValue = rawValue
    }

    /// Why `text` is not a valid user name, or nil when it is. The reason never repeats `text`.
    public static func problem(with text: String) -> String? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return "a user name must not be empty" }
        guard bytes.count <= maximumLength else {
            return "a user name has at most \(maximumLength) characters"
        }
        guard isLowercaseLetterOrDigit(bytes[0]) else {
            return "a user name starts with a lowercase letter a-z or a digit 0-9"
        }
        for byte in bytes.dropFirst() where !isLowercaseLetterOrDigit(byte) {
            guard byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") else {
                return "a user name holds only lowercase letters a-z, digits 0-9, '.', '_' and '-'"
            }
        }
        return nil
    }

    private static func isLowercaseLetterOrDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    public var description: String { rawValue }
}
