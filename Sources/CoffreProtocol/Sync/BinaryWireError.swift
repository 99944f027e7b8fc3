/// A binary sync body (`CommitRequest+Binary`, `ChangesPage+Binary`) that breaks its layout
/// or its limits. The descriptions name the rule broken, never the bytes.
public enum BinaryWireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The body is empty or its first byte is not a version this code reads.
    case unsupportedVersion
    /// The body ends inside a field, or a length or count announces more bytes than are left.
    case truncated
    /// Bytes follow the last field.
    case trailingBytes
    /// A field holds a value outside its domain; `field` names it ("kind", "deleted flag").
    case invalidValue(field: String)
    /// A count or length is over its limit; `rule` says which ("a commit holds at most 10000 changes").
    case limitExceeded(rule: String)

    public var description: String {
        switch self {
        case .unsupportedVersion: return "the binary body does not start with a supported version byte"
        case .truncated: return "the binary body ends inside a field or announces more bytes than it holds"
        case .trailingBytes: return "the binary body has bytes after its last field"
        case .invalidValue(let field): return "the binary body holds an invalid \(field)"
        case .limitExceeded(let rule): return rule
        }
    }
}
