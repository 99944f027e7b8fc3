// Standard library only: this file is compiled into the parser fuzz target as well (Fuzz/).

/// Recognises, in place and without allocating, the plain request the fast lane answers: a
/// complete `GET` or `HEAD` head in origin form, HTTP/1.1, one Host, at most one Authorization,
/// and no field that changes the answer or the framing. Anything else is "not recognised"
/// (nil), never an error: the full parser (`HTTPRequestHeadParser`) then reads the same bytes
/// and gives its answer, errors included.
///
/// The rule this file keeps: whatever it recognises, the full parser accepts with the same
/// meaning (method, path, Authorization, persistence, where the head ends). It reads a subset
/// of that grammar with the same helpers — `HTTPByteClass` for the request line and
/// `HTTPFieldLineScanner` for every field line — and declines everything in between.
enum HTTPLeanRequestScanner {
    /// A recognised request: offsets into the scanned bytes.
    struct Request {
        /// `HEAD` rather than `GET`.
        var isHead: Bool
        /// The path (origin form, no query, still percent-encoded).
        var path: Range<Int>
        /// The value of the single Authorization field, trimmed; nil without one.
        var authorization: Range<Int>?
        /// False when the client sent `Connection: close` (RFC 9112 §9.6).
        var keepAlive: Bool
        /// Bytes of the head, up to and including its final CRLF CRLF.
        var headLength: Int
    }

    /// Scans `bytes` from a request's first byte; nil unless a whole plain head is there.
    static func scan(_ bytes: UnsafeRawBufferPointer, limits: HTTPRequestHeadParser.Limits) -> Request? {
        // Bounded like the full parser (RFC 9112 §3 414, §5 431): a longer head is declined,
        // and the full parser refuses it.
        let bytes = UnsafeRawBufferPointer(rebasing: bytes[0..<min(bytes.count, limits.maxHeadBytes)])
        var index: Int
        let isHead: Bool
        // RFC 9112 §3: method SP request-target SP HTTP-version CRLF. Methods are case-sensitive
        // (RFC 9110 §9.1); leading empty lines (§2.2) are left to the full parser.
        if startsWith(bytes, 0, "GET /") {
            isHead = false
            index = 4
        } else if startsWith(bytes, 0, "HEAD /") {
            isHead = true
            index = 5
        } else {
            return nil
        }
        let pathStart = index
        while index < bytes.count && HTTPByteClass.isTargetChar(bytes[index]) {
            // A query or a fragment (RFC 9112 §3.2) takes the full parser.
            if bytes[index] == UInt8(ascii: "?") || bytes[index] == UInt8(ascii: "#") { return nil }
            index += 1
        }
        guard index - pathStart <= limits.maxURILength else { return nil }
        let path = pathStart..<index
        // RFC 9112 §2.3: only HTTP/1.1 here (1.0 has other persistence rules, §9.3).
        guard startsWith(bytes, index, " HTTP/1.1\r\n") else { return nil }
        index += 11

        var hosts = 0
        var authorization: Range<Int>?
        var authorizations = 0
        var keepAlive = true
        var fields = 0
        while true {
            let line: HTTPFieldLineScanner.Line
            do throws(HTTPFieldLineScanner.Failure) {
                guard let next = try HTTPFieldLineScanner.next(bytes, &index) else { break }
                line = next
            } catch {
                // Truncated, bare CR, obs-fold, a bad name or value: the full parser decides.
                return nil
            }
            fields += 1
            guard fields <= limits.maxHeaderCount else { return nil }
            let name = UnsafeRawBufferPointer(rebasing: bytes[line.name])
            let value = UnsafeRawBufferPointer(rebasing: bytes[line.value])
            switch classify(name) {
            case .host:
                // RFC 9112 §3.2: exactly one Host, with valid characters.
                hosts += 1
                for byte in value where !HTTPByteClass.isHostChar(byte) { return nil }
            case .authorization:
                authorizations += 1
                authorization = line.value
            case .connection:
                // RFC 9112 §9.6: "close" ends the connection after the response; "keep-alive"
                // means nothing in HTTP/1.1. Any other option takes the full parser.
                var known = true
                HTTPByteClass.forEachListElement(value) { option in
                    if HTTPByteClass.equalsIgnoringCase(option, "close") {
                        keepAlive = false
                    } else if !HTTPByteClass.equalsIgnoringCase(option, "keep-alive") {
                        known = false
                    }
                }
                guard known else { return nil }
            case .declined:
                return nil
            case .ignored:
                break
            }
        }
        // `index` is on the CR of the empty line (checked by the scanner).
        guard hosts == 1, authorizations <= 1 else { return nil }
        return Request(isHead: isHead, path: path, authorization: authorization, keepAlive: keepAlive, headLength: index + 2)
    }

    /// What a field name means to the lean path.
    private enum FieldRole {
        case host, authorization, connection
        /// Changes framing (Content-Length, Transfer-Encoding: RFC 9112 §6.1, §6.3, a GET with
        /// a body is a smuggling vector), asks for something (Expect, RFC 9110 §10.1.1; Upgrade,
        /// TE) or changes the answer (Range and the preconditions, RFC 9110 §13, §14).
        case declined
        /// No meaning to either path for this request (User-Agent, Accept, …).
        case ignored
    }

    private static func classify(_ name: UnsafeRawBufferPointer) -> FieldRole {
        switch name.count {
        case 2 where HTTPByteClass.equalsIgnoringCase(name, "te"): return .declined
        case 4 where HTTPByteClass.equalsIgnoringCase(name, "host"): return .host
        case 5 where HTTPByteClass.equalsIgnoringCase(name, "range"): return .declined
        case 6 where HTTPByteClass.equalsIgnoringCase(name, "expect"): return .declined
        case 7 where HTTPByteClass.equalsIgnoringCase(name, "upgrade"): return .declined
        case 8 where HTTPByteClass.equalsIgnoringCase(name, "if-match"): return .declined
        case 8 where HTTPByteClass.equalsIgnoringCase(name, "if-range"): return .declined
        case 10 where HTTPByteClass.equalsIgnoringCase(name, "connection"): return .connection
        case 13 where HTTPByteClass.equalsIgnoringCase(name, "authorization"): return .authorization
        case 13 where HTTPByteClass.equalsIgnoringCase(name, "if-none-match"): return .declined
        case 14 where HTTPByteClass.equalsIgnoringCase(name, "content-length"): return .declined
        case 17 where HTTPByteClass.equalsIgnoringCase(name, "transfer-encoding"): return .declined
        case 17 where HTTPByteClass.equalsIgnoringCase(name, "if-modified-since"): return .declined
        case 19 where HTTPByteClass.equalsIgnoringCase(name, "if-unmodified-since"): return .declined
        default: return .ignored
        }
    }

    /// Whether `bytes` holds `literal` at `offset`, byte for byte.
    @inline(__always)
    private static func startsWith(_ bytes: UnsafeRawBufferPointer, _ offset: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard offset + count <= bytes.count else { return false }
        let start = literal.utf8Start
        for position in 0..<count where bytes[offset + position] != start[position] { return false }
        return true
    }
}
