/// Limits and choices of one scan. The defaults suit a user's sync folder; each limit turns a
/// hostile or broken tree into skipped entries instead of unbounded memory or descriptors.
public struct ScanOptions: Sendable {
    /// Descend into folders that are mount points of other file systems (default: no; such a
    /// folder is reported as `SkipReason.otherFileSystem`).
    public var crossesFileSystems = false
    /// Apply `.coffreignore` files and the built-in defaults (reserved names are always skipped).
    public var appliesIgnoreRules = true
    /// Include the built-in default patterns (`IgnoreRules.defaultPatterns`).
    public var includesDefaultIgnorePatterns = true
    /// Deepest folder level listed (the root's children are level 1). One descriptor is open
    /// per level while the scan is inside it.
    public var maximumDepth = 256
    /// Most entries one folder may hold; a larger folder is skipped as `tooManyEntries`. A
    /// folder's names are held in memory (about 40 bytes each) while its subtree is scanned.
    public var maximumEntriesPerFolder = 1_000_000

    /// The default options.
    public init() {}
}
