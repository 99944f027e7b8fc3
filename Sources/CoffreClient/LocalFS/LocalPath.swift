/// A path relative to a sync root, in two forms: `onDisk`, byte for byte what the file system
/// holds (a name created on macOS may be decomposed, NFD), and `normalized`, its Unicode
/// Normalization Form C (UAX #15), which is what the sync compares, stores and uploads.
///
/// Components are separated by `/`. A valid path is non-empty, relative, has no empty, `.`
/// or `..` component and no NUL, each component is at most 255 bytes (NAME_MAX) and the whole
/// at most `maximumByteCount` bytes — so a path that came from the network cannot leave the
/// root. Equality and hashing use `onDisk`.
public struct LocalPath: Sendable, Hashable, CustomStringConvertible {
    /// Longest path accepted, in bytes: PATH_MAX (4096) minus the terminating NUL.
    public static let maximumByteCount = 4095
    /// Longest component, in bytes (NAME_MAX on Linux file systems).
    public static let maximumComponentByteCount = 255

    /// The path exactly as stored on disk.
    public let onDisk: String
    /// The path in Unicode NFC; the same String as `onDisk` when that is already NFC.
    public let normalized: String

    /// Validates a relative path given in its on-disk form.
    public init(_ onDisk: String) throws(LocalFSError) {
        try Self.validate(onDisk)
        self.init(unchecked: onDisk, normalized: NameEquivalence.nfc(onDisk))
    }

    /// A path whose components were already validated (names read from a folder listing).
    init(unchecked onDisk: String, normalized: String) {
        self.onDisk = onDisk
        self.normalized = normalized
    }

    /// The on-disk bytes of the path (a valid UTF-8 String keeps its bytes exactly).
    public var bytes: [UInt8] { Array(onDisk.utf8) }

    /// The last component, on-disk form.
    public var name: Substring {
        guard let slash = onDisk.utf8.lastIndex(of: UInt8(ascii: "/")) else { return onDisk[...] }
        return onDisk[onDisk.utf8.index(after: slash)...]
    }

    /// The folder holding this entry, or nil for an entry directly in the root.
    public var parent: LocalPath? {
        guard let slash = onDisk.utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        let folder = String(onDisk[..<slash])
        return LocalPath(unchecked: folder, normalized: NameEquivalence.nfc(folder))
    }

    /// The components, on-disk form.
    public var components: [Substring] { onDisk.split(separator: "/", omittingEmptySubsequences: false) }

    /// The path of a child `name` (one component) of this folder.
    public func appending(_ name: String) throws(LocalFSError) -> LocalPath {
        try LocalPath(onDisk + "/" + name)
    }

    public var description: String { onDisk }

    /// Byte equality of the on-disk forms (String's `==` would equate NFC and NFD spellings,
    /// which are two different entries on Linux).
    public static func == (lhs: LocalPath, rhs: LocalPath) -> Bool {
        lhs.onDisk.utf8.elementsEqual(rhs.onDisk.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(onDisk.utf8.count)
        for byte in onDisk.utf8 { hasher.combine(byte) }
    }

    /// Checks the rules in the type's documentation.
    static func validate(_ path: String) throws(LocalFSError) {
        let bytes = path.utf8
        guard !bytes.isEmpty else { throw .invalidPath("empty") }
        guard bytes.count <= maximumByteCount else { throw .invalidPath("longer than \(maximumByteCount) bytes") }
        var componentLength = 0
        var componentIsDots = true
        var dots = 0
        for byte in bytes {
            switch byte {
            case 0:
                throw .invalidPath("contains NUL")
            case UInt8(ascii: "/"):
                try checkComponent(length: componentLength, isDots: componentIsDots, dots: dots)
                componentLength = 0
                componentIsDots = true
                dots = 0
            default:
                componentLength += 1
                if byte == UInt8(ascii: ".") { dots += 1 } else { componentIsDots = false }
            }
        }
        try checkComponent(length: componentLength, isDots: componentIsDots, dots: dots)
    }

    private static func checkComponent(length: Int, isDots: Bool, dots: Int) throws(LocalFSError) {
        guard length > 0 else { throw .invalidPath("empty component (leading, trailing or double slash)") }
        guard length <= maximumComponentByteCount else { throw .invalidPath("component longer than 255 bytes") }
        if isDots && dots <= 2 { throw .invalidPath("`.` or `..` component") }
    }
}
