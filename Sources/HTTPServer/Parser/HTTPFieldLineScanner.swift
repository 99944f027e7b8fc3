// Standard library only: this file is compiled into the parser fuzz targets as well (Fuzz/).

/// Reads the field lines of a header section (RFC 9112 §5) one at a time, as byte ranges of the
/// head. The request and the response head parsers share it and turn a `Failure` into their
/// own error; the rules are the same in both directions.
enum HTTPFieldLineScanner {
    /// Why a field line was refused; `reason` is the text both parsers put in their error.
    enum Failure: Error {
        case truncated, bareCR, obsoleteFolding, malformedLine, invalidValue

        var reason: String {
            switch self {
            case .truncated: return "truncated header section"
            case .bareCR: return "bare CR"
            case .obsoleteFolding: return "obsolete line folding"
            case .malformedLine: return "malformed field line"
            case .invalidValue: return "invalid field value"
            }
        }
    }

    /// One field line: the name and the value without surrounding whitespace, as offsets.
    struct Line {
        let name: Range<Int>
        let value: Range<Int>
    }

    /// Reads the field line at `index` and moves past its CRLF; nil at the empty line that ends
    /// the section (`index` is left on its CR).
    static func next(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) throws(Failure) -> Line? {
        guard index + 1 < bytes.count else { throw .truncated }
        if bytes[index] == HTTPByteClass.cr {
            guard bytes[index + 1] == HTTPByteClass.lf else { throw .bareCR }
            return nil
        }
        // RFC 9112 §5.2: obs-fold (a line starting with whitespace) is refused: the server
        // MUST reject it or unfold it, and a folded framing field is a classic desync vector.
        if bytes[index] == HTTPByteClass.space || bytes[index] == HTTPByteClass.tab { throw .obsoleteFolding }
        let nameStart = index
        while index < bytes.count && HTTPByteClass.isTokenChar(bytes[index]) { index += 1 }
        // RFC 9112 §5.1: no whitespace is allowed between the field name and the colon; a
        // server MUST reject such a request with 400, a proxy MUST remove it from responses.
        guard index > nameStart, index < bytes.count, bytes[index] == HTTPByteClass.colon else { throw .malformedLine }
        let nameEnd = index
        index += 1
        // RFC 9112 §5.1: OWS around the field value is not part of it.
        while index < bytes.count && (bytes[index] == HTTPByteClass.space || bytes[index] == HTTPByteClass.tab) {
            index += 1
        }
        let valueStart = index
        var valueEnd = index
        while index < bytes.count && bytes[index] != HTTPByteClass.cr {
            let byte = bytes[index]
            // RFC 9110 §5.5: CTLs (NUL, bare LF, ...) are invalid in a field value.
            guard HTTPByteClass.isFieldValueChar(byte) else { throw .invalidValue }
            index += 1
            if byte != HTTPByteClass.space && byte != HTTPByteClass.tab { valueEnd = index }
        }
        // RFC 9112 §2.2: a bare CR is invalid.
        guard index + 1 < bytes.count, bytes[index + 1] == HTTPByteClass.lf else { throw .bareCR }
        index += 2
        return Line(name: nameStart..<nameEnd, value: valueStart..<valueEnd)
    }
}
