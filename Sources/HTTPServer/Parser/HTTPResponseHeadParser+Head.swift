// Standard library only: this file is compiled into the parser fuzz targets as well (Fuzz/).

extension HTTPResponseHeadParser {
    /// What the header section says about framing and persistence, gathered line by line.
    private struct FieldSummary {
        var contentLength: Int64?
        var transferCodings: [String] = []
        var connectionClose = false
    }

    /// Parses a complete head: `bytes` runs from the status line to the final CRLF CRLF.
    static func parseHead(_ bytes: UnsafeRawBufferPointer, limits: Limits) throws(HTTPClientError) -> HTTPResponseHead {
        var index = 0
        let minorVersion = try parseVersion(bytes, &index)
        let statusCode = try parseStatusCode(bytes, &index)
        // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]. The SP
        // before an empty reason is often left out; accepting that changes no framing.
        var reasonStart = index
        if index < bytes.count && bytes[index] == HTTPByteClass.space {
            index += 1
            reasonStart = index
            // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ).
            while index < bytes.count && HTTPByteClass.isFieldValueChar(bytes[index]) { index += 1 }
        }
        let reasonEnd = index
        try expectCRLF(bytes, &index)
        let reasonPhrase = string(bytes, reasonStart, reasonEnd)

        var headers: [HTTPHeaderLine] = []
        headers.reserveCapacity(min(limits.maxHeaderCount, 16))
        var summary = FieldSummary()
        while true {
            let line: HTTPFieldLineScanner.Line
            do throws(HTTPFieldLineScanner.Failure) {
                guard let next = try HTTPFieldLineScanner.next(bytes, &index) else { break }
                line = next
            } catch {
                throw .malformedResponse(reason: error.reason)
            }
            guard headers.count < limits.maxHeaderCount else { throw .tooManyHeaderFields(limit: limits.maxHeaderCount) }
            let name = UnsafeRawBufferPointer(rebasing: bytes[line.name])
            let value = UnsafeRawBufferPointer(rebasing: bytes[line.value])
            try summarize(name: name, value: value, into: &summary)
            headers.append(HTTPHeaderLine(name: string(bytes, line.name), value: string(bytes, line.value)))
        }
        return HTTPResponseHead(
            minorVersion: minorVersion, statusCode: statusCode, reasonPhrase: reasonPhrase, headers: headers,
            framing: try resolveFraming(summary, minorVersion: minorVersion), connectionClose: summary.connectionClose)
    }

    /// HTTP-version = "HTTP/" DIGIT "." DIGIT, then SP (RFC 9112 §2.3, §4).
    private static func parseVersion(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) throws(HTTPClientError) -> Int {
        let prefix: StaticString = "HTTP/"
        guard index + 9 <= bytes.count else { throw .malformedResponse(reason: "malformed status line") }
        for offset in 0..<5 where bytes[index + offset] != prefix.utf8Start[offset] {
            throw .malformedResponse(reason: "malformed status line")
        }
        let major = bytes[index + 5]
        let minor = bytes[index + 7]
        guard isDigit(major), bytes[index + 6] == UInt8(ascii: "."), isDigit(minor), bytes[index + 8] == HTTPByteClass.space
        else { throw .malformedResponse(reason: "malformed status line") }
        // RFC 9110 §2.5: this client speaks HTTP/1.x only.
        guard major == UInt8(ascii: "1") else { throw .malformedResponse(reason: "unsupported HTTP version") }
        index += 9
        return minor == UInt8(ascii: "0") ? 0 : 1
    }

    /// status-code = 3DIGIT (RFC 9112 §4), within 100...599 (RFC 9110 §15).
    private static func parseStatusCode(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) throws(HTTPClientError) -> Int {
        guard index + 3 <= bytes.count else { throw .malformedResponse(reason: "malformed status code") }
        var code = 0
        for offset in 0..<3 {
            let byte = bytes[index + offset]
            guard isDigit(byte) else { throw .malformedResponse(reason: "malformed status code") }
            code = code * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard (100...599).contains(code) else { throw .malformedResponse(reason: "status code out of range") }
        index += 3
        return code
    }

    /// Requires CR LF at `index` and steps over it; a bare CR is invalid (RFC 9112 §2.2).
    private static func expectCRLF(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) throws(HTTPClientError) {
        guard index + 1 < bytes.count, bytes[index] == HTTPByteClass.cr, bytes[index + 1] == HTTPByteClass.lf else {
            throw .malformedResponse(reason: "bare CR or invalid character")
        }
        index += 2
    }

    private static func summarize(
        name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, into summary: inout FieldSummary
    ) throws(HTTPClientError) {
        switch name.count {
        case 14 where HTTPByteClass.equalsIgnoringCase(name, "content-length"):
            try HTTPByteClass.forEachListElement(value) { (element) throws(HTTPClientError) in
                let length = try parseContentLength(element)
                // RFC 9110 §8.6 / RFC 9112 §6.3 rule 5: differing values are an unrecoverable
                // error; repeated identical values are accepted as one.
                if let known = summary.contentLength, known != length {
                    throw .malformedResponse(reason: "conflicting Content-Length")
                }
                summary.contentLength = length
            }
            if summary.contentLength == nil { throw .malformedResponse(reason: "invalid Content-Length") }
        case 17 where HTTPByteClass.equalsIgnoringCase(name, "transfer-encoding"):
            try HTTPByteClass.forEachListElement(value) { (element) throws(HTTPClientError) in
                guard summary.transferCodings.count < 8 else { throw .malformedResponse(reason: "too many transfer codings") }
                summary.transferCodings.append(string(element, 0, element.count).lowercased())
            }
        case 10 where HTTPByteClass.equalsIgnoringCase(name, "connection"):
            // RFC 9112 §9.6: the "close" connection option ends the connection after this
            // response.
            HTTPByteClass.forEachListElement(value) { option in
                if HTTPByteClass.equalsIgnoringCase(option, "close") { summary.connectionClose = true }
            }
        default:
            break
        }
    }

    /// Content-Length = 1*DIGIT (RFC 9110 §8.6), bounded well below Int64 overflow.
    private static func parseContentLength(_ bytes: UnsafeRawBufferPointer) throws(HTTPClientError) -> Int64 {
        guard !bytes.isEmpty, bytes.count <= 18 else { throw .malformedResponse(reason: "invalid Content-Length") }
        var length: Int64 = 0
        for byte in bytes {
            guard isDigit(byte) else { throw .malformedResponse(reason: "invalid Content-Length") }
            length = length * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return length
    }

    /// Decides the body framing from Content-Length and Transfer-Encoding (RFC 9112 §6.3),
    /// refusing every combination a desync could hide in.
    private static func resolveFraming(_ summary: FieldSummary, minorVersion: Int) throws(HTTPClientError) -> HTTPResponseBodyFraming {
        guard !summary.transferCodings.isEmpty else {
            if let length = summary.contentLength { return .contentLength(length) }
            return .untilClose
        }
        // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
        if minorVersion == 0 { throw .malformedResponse(reason: "Transfer-Encoding in HTTP/1.0") }
        // RFC 9112 §6.3 rule 3: both fields "ought to be handled as an error" (smuggling).
        if summary.contentLength != nil { throw .malformedResponse(reason: "both Transfer-Encoding and Content-Length") }
        // RFC 9112 §7: chunked MUST NOT be applied more than once.
        guard summary.transferCodings.filter({ $0 == "chunked" }).count <= 1 else {
            throw .malformedResponse(reason: "chunked applied twice")
        }
        // RFC 9112 §6.3 rule 4 would read a response whose final coding is not chunked until
        // close; this client decodes no other coding, so such bytes would be meaningless.
        guard summary.transferCodings == ["chunked"] else { throw .malformedResponse(reason: "unsupported transfer coding") }
        return .chunked
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    @inline(__always)
    private static func string(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    private static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        string(bytes, range.lowerBound, range.upperBound)
    }
}
