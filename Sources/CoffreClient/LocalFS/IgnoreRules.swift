/// Decides which paths are not synced: the reserved names of the sync itself (never synced,
/// whatever the rules say), every `.coffreignore` file found in the tree, and built-in
/// defaults for temporary files of editors, browsers and desktops (lowest precedence: a
/// `.coffreignore` can re-include them with `!`).
///
/// Paths are matched in NFC. Precedence follows gitignore(5): deeper files override
/// shallower ones, a later pattern overrides an earlier one in the same file, and a path
/// whose parent folder is ignored stays ignored ("It is not possible to re-include a file if a
/// parent directory of that file is excluded").
public struct IgnoreRules: Sendable {
    /// The built-in default patterns (gitignore syntax): editor swap and backup files, macOS and
    /// Windows folder metadata, Office lock files and partial browser downloads.
    public static let defaultPatterns = [
        "*.swp", "*.swo", "*.swx", "*~", ".#*", "~$*",
        ".DS_Store", "._.DS_Store", "Thumbs.db", "ehthumbs.db", "desktop.ini",
        "*.part", "*.crdownload", "*.partial",
    ]

    /// The built-in defaults as a rule set at the root, nil when turned off.
    let defaults: IgnoreFile?
    private var filesByFolder: [String: IgnoreFile] = [:]

    /// Rules with the built-in defaults (or none) and no `.coffreignore` file yet.
    public init(includingDefaults: Bool = true) {
        defaults = includingDefaults ? IgnoreFile(folder: "", lines: Self.defaultPatterns) : nil
    }

    /// The `.coffreignore` files known, one per folder.
    public var files: [IgnoreFile] { Array(filesByFolder.values) }

    /// Adds a folder's ignore file, replacing the one known for that folder.
    public mutating func add(_ file: IgnoreFile) {
        filesByFolder[file.folder] = file
    }

    /// Forgets the ignore file of a folder (NFC path, "" for the root), e.g. after it was deleted.
    public mutating func removeFile(inFolder folder: String) {
        filesByFolder[NameEquivalence.nfc(folder)] = nil
    }

    /// Whether `path` (relative to the root, any normalization) is not synced. Each parent
    /// folder is checked first: an ignored folder hides everything below it.
    public func isIgnored(_ path: String, isFolder: Bool) -> Bool {
        let normalized = NameEquivalence.nfc(path)
        let utf8 = normalized.utf8
        var start = utf8.startIndex
        var index = utf8.startIndex
        while index != utf8.endIndex {
            if utf8[index] == UInt8(ascii: "/") {
                if isIgnored(normalizedPath: normalized, end: index, nameStart: start, isFolder: true) { return true }
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        return isIgnored(normalizedPath: normalized, end: utf8.endIndex, nameStart: start, isFolder: isFolder)
    }

    /// The decision for the entry `path[..<end]` whose name starts at `nameStart`, assuming its
    /// parents are not ignored.
    private func isIgnored(normalizedPath path: String, end: String.Index, nameStart: String.Index, isFolder: Bool) -> Bool {
        let entry = path[..<end]
        let name = path[nameStart..<end]
        if ReservedNames.kind(of: name.utf8) != nil { return true }
        // Ignore files from the deepest folder up to the root.
        var folderEnd = nameStart == path.startIndex ? nil : path.utf8.index(before: nameStart)
        while true {
            let folder = folderEnd.map { String(path[..<$0]) } ?? ""
            if let file = filesByFolder[folder] {
                let relative = folderEnd.map { entry[path.utf8.index(after: $0)...] } ?? entry
                if let decision = file.decision(relativePath: relative, name: name, isFolder: isFolder) { return decision }
            }
            guard let current = folderEnd else { break }
            folderEnd = path[..<current].utf8.lastIndex(of: UInt8(ascii: "/"))
        }
        return defaults?.decision(relativePath: entry, name: name, isFolder: isFolder) ?? false
    }
}
