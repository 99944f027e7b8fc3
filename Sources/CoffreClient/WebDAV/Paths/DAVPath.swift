/// A validated resource path below the served root: a list of names, each NFC-normalized
/// (UAX #15) valid UTF-8 without `/`, NUL or other control characters, never empty, `.` or
/// `..`. A `DAVPath` therefore cannot name anything outside the root, whatever the request
/// said; storages receive only these values, never raw strings.
///
/// Equality is by the normalized names, so `é` sent precomposed or decomposed is one resource.
public struct DAVPath: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Most names in one path.
    public static let maximumDepth = 64
    /// Longest name in bytes (NAME_MAX of Linux file systems).
    public static let maximumNameBytes = 255
    /// Longest path in bytes, separators included.
    public static let maximumPathBytes = 4095

    /// The names from the root down; empty for the root.
    public let names: [String]

    /// The root collection.
    public static let root = DAVPath(validated: [])

    private init(validated names: [String]) {
        self.names = names
    }

    /// Validates and NFC-normalizes `names`; throws `DAVError.badRequest` for a name that is
    /// empty, `.`, `..`, too long, or holds `/`, NUL or a control character.
    public init(names: [String]) throws(DAVError) {
        guard names.count <= Self.maximumDepth else { throw .badRequest("path too deep") }
        var normalized: [String] = []
        normalized.reserveCapacity(names.count)
        var total = 0
        for name in names {
            let name = NameEquivalence.nfc(name)
            try Self.validate(name: name)
            total += name.utf8.count + 1
            normalized.append(name)
        }
        guard total <= Self.maximumPathBytes else { throw .badRequest("path too long") }
        self.init(validated: normalized)
    }

    /// Parses a request path as sent (still percent-encoded, RFC 3986 §2.1): each segment is
    /// decoded on its own, so an encoded `%2F` can never split or join names, and `%2e%2e` is
    /// refused like `..`. Empty segments (`//`, a trailing `/`) are skipped.
    public init(percentEncoded path: String) throws(DAVError) {
        guard path.utf8.first == UInt8(ascii: "/") else { throw .badRequest("path must start with /") }
        var names: [String] = []
        for segment in path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            guard names.count < Self.maximumDepth else { throw .badRequest("path too deep") }
            names.append(try DAVPercentEncoding.decode(segment))
        }
        try self.init(names: names)
    }

    /// RFC 4918 §8.3 / RFC 3986 §3.3: the rules a single name must satisfy.
    static func validate(name: String) throws(DAVError) {
        let bytes = name.utf8
        guard !bytes.isEmpty else { throw .badRequest("empty name") }
        guard bytes.count <= maximumNameBytes else { throw .badRequest("name too long") }
        guard name != ".", name != ".." else { throw .badRequest("dot segment in path") }
        for byte in bytes where byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "/") {
            throw .badRequest(byte == UInt8(ascii: "/") ? "encoded slash in name" : "control character in name")
        }
    }

    /// True for the root collection.
    public var isRoot: Bool { names.isEmpty }

    /// The last name; empty for the root.
    public var name: String { names.last ?? "" }

    /// The collection holding this resource; nil for the root.
    public var parent: DAVPath? {
        isRoot ? nil : DAVPath(validated: Array(names.dropLast()))
    }

    /// The child `name` of this collection; throws for an invalid name.
    public func appending(_ name: String) throws(DAVError) -> DAVPath {
        try DAVPath(names: names + [name])
    }

    /// The child `name`, already known to be valid (read back from a storage listing).
    func appending(validated name: String) -> DAVPath {
        DAVPath(validated: names + [name])
    }

    /// True when `self` is `other` or one of its ancestors.
    public func contains(_ other: DAVPath) -> Bool {
        other.names.count >= names.count && other.names[..<names.count].elementsEqual(names)
    }

    /// The path of `self` (which `old` contains) after moving `old` to `new`.
    public func rebased(from old: DAVPath, to new: DAVPath) -> DAVPath {
        precondition(old.contains(self), "rebased(from:to:) needs a path inside `old`")
        return DAVPath(validated: new.names + names[old.names.count...])
    }

    /// The absolute path, percent-encoded, for `href` elements and `Location`; a collection's
    /// path ends with `/` (RFC 4918 §8.3: the collection's URL).
    public func href(isCollection: Bool) -> String {
        var text = "/"
        for (index, name) in names.enumerated() {
            if index > 0 { text += "/" }
            DAVPercentEncoding.encode(name, into: &text)
        }
        if isCollection && !isRoot { text += "/" }
        return text
    }

    /// `/a/b` (not encoded), for tests and debugging; never logged.
    public var description: String { "/" + names.joined(separator: "/") }

    /// Orders by names, parents before their children.
    public static func < (lhs: DAVPath, rhs: DAVPath) -> Bool {
        lhs.names.lexicographicallyPrecedes(rhs.names) { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
