/// A compiled route pattern such as `/v1/vaults/{vault}/blobs/{id}` or `/dav/{path...}`.
///
/// Segments are literals (compared with the raw, still percent-encoded path segment) or named
/// parameters (one segment, percent-decoded); a final `{name...}` captures the rest of the path.
struct HTTPRoutePattern: Sendable {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
        case remainder(String)
    }

    let text: String
    let segments: [Segment]
    /// Path segments before a final `{name...}`, or all of them.
    let fixedSegmentCount: Int
    /// True when the pattern ends with `{name...}`.
    let endsWithRemainder: Bool
    /// Named parameters, `{name...}` included: the size of a match's `HTTPPathParameters`.
    let parameterCount: Int

    init(_ text: String) throws(HTTPServerError) {
        guard text.hasPrefix("/") else { throw .invalidConfiguration("route pattern must start with /") }
        var segments: [Segment] = []
        var names: Set<String> = []
        let parts = text.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        for (index, part) in parts.enumerated() {
            if part.hasPrefix("{") && part.hasSuffix("}") && part.count > 2 {
                var name = String(part.dropFirst().dropLast())
                let isRemainder = name.hasSuffix("...")
                if isRemainder {
                    guard index == parts.count - 1 else { throw .invalidConfiguration("{name...} must be the last segment") }
                    name = String(name.dropLast(3))
                }
                guard !name.isEmpty, !name.contains("{"), !name.contains("}"), names.insert(name).inserted else {
                    throw .invalidConfiguration("invalid or repeated parameter name in route pattern")
                }
                segments.append(isRemainder ? .remainder(name) : .parameter(name))
            } else {
                guard !part.contains("{"), !part.contains("}") else { throw .invalidConfiguration("unbalanced braces in route pattern") }
                segments.append(.literal(String(part)))
            }
        }
        self.text = text
        self.segments = segments
        parameterCount = segments.filter { if case .literal = $0 { false } else { true } }.count
        if case .remainder = segments.last {
            endsWithRemainder = true
            fixedSegmentCount = segments.count - 1
        } else {
            endsWithRemainder = false
            fixedSegmentCount = segments.count
        }
    }

    /// True when a raw path (its segments after the leading `/`) has this pattern's shape: the
    /// segment count first, then each literal byte for byte and each parameter non-empty.
    /// Allocates nothing, so trying every route of a request costs only comparisons.
    func matches(_ pathSegments: [Substring]) -> Bool {
        guard endsWithRemainder ? pathSegments.count >= fixedSegmentCount : pathSegments.count == fixedSegmentCount else {
            return false
        }
        for index in 0..<fixedSegmentCount {
            switch segments[index] {
            case .literal(let literal):
                guard Self.sameBytes(pathSegments[index], literal) else { return false }
            case .parameter:
                guard !pathSegments[index].isEmpty else { return false }
            case .remainder:
                return false
            }
        }
        return true
    }

    /// The decoded parameters of a path that `matches`; throws 400 when a parameter is not
    /// valid percent-encoded UTF-8.
    func parameters(_ pathSegments: [Substring]) throws(HTTPServerError) -> HTTPPathParameters {
        var parameters = HTTPPathParameters()
        parameters.reserveCapacity(parameterCount)
        for (index, segment) in segments.enumerated() {
            switch segment {
            case .literal:
                continue
            case .parameter(let name):
                parameters.append(name, try Self.percentDecoded(pathSegments[index]))
            case .remainder(let name):
                let rest = index < pathSegments.count ? pathSegments[index...].joined(separator: "/") : ""
                parameters.append(name, try Self.percentDecoded(Substring(rest)))
            }
        }
        return parameters
    }

    /// Matches a raw path; returns the decoded parameters, nil when the path does not match,
    /// or throws 400 when a parameter is not valid percent-encoded UTF-8.
    func match(_ pathSegments: [Substring]) throws(HTTPServerError) -> HTTPPathParameters? {
        guard matches(pathSegments) else { return nil }
        return try parameters(pathSegments)
    }

    /// Decodes `%XX` escapes (RFC 3986 §2.1); the result must be valid UTF-8 without NUL.
    static func percentDecoded(_ text: Substring) throws(HTTPServerError) -> String {
        var contiguous = text
        guard contiguous.withUTF8({ $0.contains(UInt8(ascii: "%")) }) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw .badRequest(reason: "invalid percent-encoding in path")
            }
            bytes.append(high << 4 | low)
        }
        guard !bytes.contains(0), let decoded = String(validating: bytes, as: UTF8.self) else {
            throw .badRequest(reason: "path parameter is not valid UTF-8")
        }
        return decoded
    }

    /// Byte equality (not `==`, which compares canonically equivalent Unicode as equal), over
    /// contiguous bytes (`withUTF8`): `elementsEqual` through the UTF-8 views went byte by byte
    /// through generic indexing.
    static func sameBytes(_ segment: Substring, _ literal: String) -> Bool {
        guard segment.utf8.count == literal.utf8.count else { return false }
        var left = segment
        var right = literal
        return left.withUTF8 { leftBytes in right.withUTF8 { leftBytes.elementsEqual($0) } }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
