import Foundation

/// Names the copy kept when two edits of one file collide (DESIGN §8: "edit vs edit keeps
/// both"): `NAME (conflict DEVICE YYYY-MM-DD HHMMSS).EXT`, then
/// `NAME (conflict DEVICE YYYY-MM-DD HHMMSS 2).EXT`, `… 3` while a name is taken.
///
/// - The extension is the last `.suffix` of the name, except when the name starts with its
///   only dot (`.bashrc` has none) or ends with a dot; an extension too long to leave room for
///   the stem is treated as part of the stem.
/// - The device name is sanitized for file names on every common system: control characters,
///   `/ \ : * ? " < > |` and parentheses become `_`, runs of spaces collapse, leading and
///   trailing spaces and dots go, and it is cut to `maximumDeviceByteCount` bytes.
/// - The result is at most 255 bytes of UTF-8 (NAME_MAX): the stem is shortened on a
///   character boundary, never inside a UTF-8 sequence or a grapheme cluster.
public struct ConflictNamer: Sendable {
    /// Longest name produced, in UTF-8 bytes.
    public static let maximumNameByteCount = 255
    /// Longest device part, in UTF-8 bytes.
    public static let maximumDeviceByteCount = 40
    /// Highest counter tried before giving up.
    public static let maximumCounter = 9999

    /// The sanitized device name used in every name this namer makes.
    public let device: String
    private let timeZone: TimeZone

    /// A namer for conflicts detected on `deviceName`, with times in `timeZone`.
    public init(deviceName: String, timeZone: TimeZone = .current) {
        self.device = Self.sanitize(deviceName)
        self.timeZone = timeZone
    }

    /// The conflict name for `name` (one component) at `date`: the first candidate for which
    /// `isTaken` answers false. Throws `.conflictNamesExhausted` after `maximumCounter`.
    public func name(for name: String, at date: Date, isTaken: (String) throws -> Bool) throws -> String {
        let (stem, fileExtension) = Self.split(name)
        let stamp = timestamp(date)
        for counter in 1...Self.maximumCounter {
            let label = counter == 1 ? " (conflict \(device) \(stamp))" : " (conflict \(device) \(stamp) \(counter))"
            let candidate = Self.fit(stem: stem, label: label, fileExtension: fileExtension)
            if try !isTaken(candidate) { return candidate }
        }
        throw LocalFSError.conflictNamesExhausted
    }

    /// Splits a name into stem and extension (with its dot, or "").
    static func split(_ name: String) -> (stem: Substring, fileExtension: Substring) {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex, name.index(after: dot) != name.endIndex else {
            return (name[...], "")
        }
        return (name[..<dot], name[dot...])
    }

    /// Joins the parts, shortening the stem (by whole characters) to fit the byte limit. When
    /// even an empty stem does not fit, the extension is folded into the stem and shortened.
    static func fit(stem: Substring, label: String, fileExtension: Substring) -> String {
        let budget = maximumNameByteCount - label.utf8.count - fileExtension.utf8.count
        if budget >= 1 {
            return truncated(stem, toBytes: budget) + label + fileExtension
        }
        let whole = stem + fileExtension
        return truncated(whole[...], toBytes: maximumNameByteCount - label.utf8.count) + label
    }

    /// The longest prefix of `text` made of whole characters within `limit` UTF-8 bytes.
    static func truncated(_ text: Substring, toBytes limit: Int) -> String {
        guard text.utf8.count > limit else { return String(text) }
        var used = 0
        var end = text.startIndex
        for character in text {
            let size = character.utf8.count
            guard used + size <= limit else { break }
            used += size
            end = text.index(after: end)
        }
        return String(text[..<end])
    }

    /// See the type's documentation.
    static func sanitize(_ deviceName: String) -> String {
        var result = ""
        var lastWasSpace = false
        for scalar in deviceName.unicodeScalars {
            let forbidden = "/\\:*?\"<>|()".unicodeScalars.contains(scalar)
            let isControl = scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
            let isSpace = scalar.properties.isWhitespace
            if isSpace {
                if !lastWasSpace && !result.isEmpty { result.unicodeScalars.append(" ") }
                lastWasSpace = true
                continue
            }
            lastWasSpace = false
            result.unicodeScalars.append(forbidden || isControl ? "_" : scalar)
        }
        var trimmed = Substring(result)
        while let last = trimmed.last, last == " " || last == "." { trimmed.removeLast() }
        while let first = trimmed.first, first == " " || first == "." { trimmed.removeFirst() }
        let cut = truncated(trimmed, toBytes: maximumDeviceByteCount)
        let clean = cut.trimmingCharacters(in: CharacterSet(charactersIn: " ."))
        return clean.isEmpty ? "device" : NameEquivalence.nfc(clean)
    }

    /// `YYYY-MM-DD HHMMSS` in the namer's time zone (proleptic Gregorian calendar).
    func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String {
            let v = value ?? 0
            return v < 10 ? "0\(v)" : "\(v)"
        }
        let year = parts.year ?? 0
        let yearText = String(repeating: "0", count: max(0, 4 - String(year).count)) + String(year)
        return "\(yearText)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour))\(two(parts.minute))\(two(parts.second))"
    }
}
