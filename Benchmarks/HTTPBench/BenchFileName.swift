/// A file name a client may use under the upload directory: 1 to 128 bytes of
/// `[A-Za-z0-9._-]`, not starting with a dot. Anything else (slashes, `..`, hidden files,
/// control bytes) is refused, so a name can never leave the directory.
struct BenchFileName {
    /// Longest accepted name, in bytes.
    static let maximumLength = 128

    /// The validated name.
    let value: String

    /// Validates a decoded path parameter; nil (a missing parameter) is refused too.
    init(_ candidate: String?) throws(HTTPBenchError) {
        guard let candidate, (1...Self.maximumLength).contains(candidate.utf8.count),
              candidate.utf8.first != UInt8(ascii: "."),
              candidate.utf8.allSatisfy(Self.isAllowed)
        else { throw .invalidFileName }
        value = candidate
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
