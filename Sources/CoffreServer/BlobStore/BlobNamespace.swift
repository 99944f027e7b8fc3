/// The namespace a blob lives in: the id of the vault that owns it.
///
/// Only `[A-Za-z0-9_-]{1,64}` is accepted, so a namespace can be used as a path component or
/// an object-key prefix as is: it cannot be empty, `.` or `..`, or hold `/`, NUL or anything
/// a file system or S3 treats specially. Namespaces are case-sensitive.
public struct BlobNamespace: Hashable, Sendable, CustomStringConvertible {
    /// Longest accepted namespace, in characters.
    public static let maxLength = 64

    /// The validated text.
    public let rawValue: String

    /// Validates `text`; throws `BlobStoreError.invalidNamespace` for anything outside
    /// `[A-Za-z0-9_-]{1,64}`.
    public init(_ text: some StringProtocol) throws(BlobStoreError) {
        let utf8 = text.utf8
        // Length first, so a hostile megabyte is rejected without being scanned.
        guard (1...Self.maxLength).contains(utf8.count) else { throw .invalidNamespace }
        for char in utf8 {
            switch char {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                continue
            default:
                throw .invalidNamespace
            }
        }
        rawValue = String(text)
    }

    /// The validated text.
    public var description: String { rawValue }
}
