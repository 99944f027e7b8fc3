import Foundation

/// Unicode helpers for names and paths: normalization forms (UAX #15) and canonical caseless
/// matching (Unicode §3.13, definition D145), which the planner needs because macOS stores
/// names decomposed (NFD) and case-insensitive file systems (APFS, NTFS) treat `Report.txt` and
/// `report.txt` as one name.
public enum NameEquivalence {
    /// `text` in Normalization Form C. ASCII text is returned as is without a copy.
    public static func nfc(_ text: String) -> String {
        isASCII(text) ? text : text.precomposedStringWithCanonicalMapping
    }

    /// `text` in Normalization Form D. ASCII text is returned as is without a copy.
    public static func nfd(_ text: String) -> String {
        isASCII(text) ? text : text.decomposedStringWithCanonicalMapping
    }

    /// Whether `text` is byte-for-byte already in NFC.
    public static func isNFC(_ text: String) -> Bool {
        isASCII(text) || text.utf8.elementsEqual(text.precomposedStringWithCanonicalMapping.utf8)
    }

    /// The canonical caseless form `NFD(toCasefold(NFD(text)))` (D145), recomposed to NFC so
    /// it can be stored and compared as text. Two names with the same key are the same name on
    /// a case-insensitive, normalization-insensitive file system.
    public static func caseFoldedKey(_ text: String) -> String {
        let folded = nfd(text).folding(options: [.caseInsensitive], locale: nil)
        return nfc(nfd(folded))
    }

    /// Whether `a` and `b` are the same name written in two normalization forms (equal after
    /// NFC, different bytes) — for instance a name created on macOS (NFD) seen again on Linux.
    public static func differOnlyInNormalization(_ a: String, _ b: String) -> Bool {
        !a.utf8.elementsEqual(b.utf8) && nfc(a).utf8.elementsEqual(nfc(b).utf8)
    }

    /// Whether renaming `a` to `b` changes only letter case: the two are equal under canonical
    /// caseless matching but not equal after NFC. Such a rename must be done as a real rename
    /// (often through a temporary name) on case-insensitive file systems, and two such names
    /// in one folder cannot both exist there.
    public static func differOnlyInCase(_ a: String, _ b: String) -> Bool {
        !nfc(a).utf8.elementsEqual(nfc(b).utf8) && caseFoldedKey(a) == caseFoldedKey(b)
    }

    /// Groups of paths that collide on a case-insensitive file system: each group holds two or
    /// more of the given paths (in input order) whose `caseFoldedKey` is equal while their NFC
    /// forms differ. Paths that are exact NFC duplicates of each other count once.
    public static func caseCollisions(among paths: some Sequence<String>) -> [[String]] {
        var groups: [String: [String]] = [:]
        var order: [String] = []
        for path in paths {
            let key = caseFoldedKey(path)
            if groups[key] == nil { order.append(key) }
            let normalized = nfc(path)
            if groups[key, default: []].contains(where: { nfc($0) == normalized }) { continue }
            groups[key, default: []].append(path)
        }
        return order.compactMap { key in
            guard let group = groups[key], group.count > 1 else { return nil }
            return group
        }
    }

    static func isASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 < 0x80 }
    }
}
