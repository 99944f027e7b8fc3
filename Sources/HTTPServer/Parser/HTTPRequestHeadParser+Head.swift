// Standard library only: this file is compiled into the parser fuzz target as well (Fuzz/).

extension HTTPRequestHeadParser {
    /// What the header section says about framing and connection handling, gathered while the
    /// lines are parsed.
    private struct FieldSummary {
        var contentLength: Int64?
        var transferCodings: [String] = []
        var hostCount = 0
        var host: String?
        var connectionClose = false
        var connectionKeepAlive = false
        var expectContinue = false
        var unknownExpectation = false
    }

    /// Parses a complete head: `bytes` runs from the request line to the final CRLF CRLF.
    static func parseHead(_ bytes: UnsafeRawBufferPointer, limits: Limits) throws(HTTPServerError) -> HTTPRequestHead {
        var index = 0
        // RFC 9112 §3: request-line = method SP request-target SP HTTP-version, single spaces.
        while index < bytes.count && HTTPByteClass.isTokenChar(bytes[index]) { index += 1 }
        guard index > 0, index < bytes.count, bytes[index] == HTTPByteClass.space else {
            throw .badRequest(reason: "malformed request line")
        }
        let method = string(bytes, 0, index)
        index += 1
        let targetStart = index
        while index < bytes.count && HTTPByteClass.isTargetChar(bytes[index]) { index += 1 }
        guard index > targetStart, index < bytes.count, bytes[index] == HTTPByteClass.space else {
            throw .badRequest(reason: "malformed request line")
        }
        // RFC 9112 §3: a server that receives a request-target longer than it wishes to parse
        // MUST respond with 414.
        if index - targetStart > limits.maxURILength { throw .uriTooLong }
        let target = string(bytes, targetStart, index)
        index += 1
        let minorVersion = try parseVersion(bytes, &index)

        var headers: [HTTPHeaderLine] = []
        headers.reserveCapacity(min(limits.maxHeaderCount, 16))
        var summary = FieldSummary()
        while true {
            let line: HTTPFieldLineScanner.Line
            do throws(HTTPFieldLineScanner.Failure) {
                guard let next = try HTTPFieldLineScanner.next(bytes, &index) else { break }
                line = next
            } catch {
                throw .badRequest(reason: error.reason)
            }
            guard headers.count < limits.maxHeaderCount else { throw .tooManyHeaderFields }
            let name = UnsafeRawBufferPointer(rebasing: bytes[line.name])
            let value = UnsafeRawBufferPointer(rebasing: bytes[line.value])
            try summarize(name: name, value: value, minorVersion: minorVersion, into: &summary)
            headers.append(HTTPHeaderLine(name: string(bytes, line.name), value: string(bytes, line.value)))
        }

        // RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, and for any request with more
        // than one Host line.
        if summary.hostCount > 1 || (minorVersion >= 1 && summary.hostCount == 0) {
            throw .badRequest(reason: "missing or repeated Host")
        }
        // RFC 9110 §10.1.1: a server MAY answer 417 to an expectation other than 100-continue.
        if summary.unknownExpectation { throw .expectationFailed }
        let framing = try resolveFraming(summary, minorVersion: minorVersion)
        let form = try HTTPRequestTarget.split(target, method: method)
        return HTTPRequestHead(
            method: method, target: target, path: form.path, query: form.query, minorVersion: minorVersion,
            headers: headers, framing: framing, host: form.authority ?? summary.host,
            connectionClose: summary.connectionClose, connectionKeepAlive: summary.connectionKeepAlive,
            expectContinue: summary.expectContinue)
    }

    /// HTTP-version = "HTTP/" DIGIT "." DIGIT, then CRLF (RFC 9112 §2.3).
    private static func parseVersion(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) throws(HTTPServerError) -> Int {
        let prefix: StaticString = "HTTP/"
        guard index + 10 <= bytes.count else { throw .badRequest(reason: "malformed HTTP version") }
        for offset in 0..<5 where bytes[index + offset] != prefix.utf8Start[offset] {
            throw .badRequest(reason: "malformed HTTP version")
        }
        let major = bytes[index + 5]
        let dot = bytes[index + 6]
        let minor = bytes[index + 7]
        guard isDigit(major), dot == UInt8(ascii: "."), isDigit(minor),
            bytes[index + 8] == HTTPByteClass.cr, bytes[index + 9] == HTTPByteClass.lf
        else { throw .badRequest(reason: "malformed HTTP version") }
        index += 10
        // RFC 9110 §2.5 / §15.6.6: only major version 1 is served here; 505 otherwise.
        guard major == UInt8(ascii: "1") else { throw .unsupportedVersion }
        return minor == UInt8(ascii: "0") ? 0 : 1
    }

    private static func summarize(
        name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, minorVersion: Int, into summary: inout FieldSummary
    ) throws(HTTPServerError) {
        switch name.count {
        case 4 where HTTPByteClass.equalsIgnoringCase(name, "host"):
            summary.hostCount += 1
            // RFC 9112 §3.2: a Host field with an invalid value is answered with 400.
            for byte in value where !HTTPByteClass.isHostChar(byte) {
                throw .badRequest(reason: "invalid Host")
            }
            summary.host = string(value, 0, value.count)
        case 14 where HTTPByteClass.equalsIgnoringCase(name, "content-length"):
            try HTTPByteClass.forEachListElement(value) { (element) throws(HTTPServerError) in
                let length = try parseContentLength(element)
                // RFC 9112 §6.3 rule 5 / RFC 9110 §8.6: differing values are invalid; repeated
                // identical values are accepted as one.
                if let known = summary.contentLength, known != length {
                    throw .badRequest(reason: "conflicting Content-Length")
                }
                summary.contentLength = length
            }
            if summary.contentLength == nil { throw .badRequest(reason: "invalid Content-Length") }
        case 17 where HTTPByteClass.equalsIgnoringCase(name, "transfer-encoding"):
            try HTTPByteClass.forEachListElement(value) { (element) throws(HTTPServerError) in
                guard summary.transferCodings.count < 8 else { throw .badRequest(reason: "too many transfer codings") }
                summary.transferCodings.append(string(element, 0, element.count).lowercased())
            }
        case 10 where HTTPByteClass.equalsIgnoringCase(name, "connection"):
            // RFC 9112 §9.3/§9.6: the "close" and "keep-alive" connection options.
            try HTTPByteClass.forEachListElement(value) { (option) throws(HTTPServerError) in
                if HTTPByteClass.equalsIgnoringCase(option, "close") { summary.connectionClose = true }
                if HTTPByteClass.equalsIgnoringCase(option, "keep-alive") { summary.connectionKeepAlive = true }
            }
        case 6 where HTTPByteClass.equalsIgnoringCase(name, "expect"):
            // RFC 9110 §10.1.1: "100-continue" matches case-insensitively; an HTTP/1.0 server
            // MUST ignore it.
            if HTTPByteClass.equalsIgnoringCase(value, "100-continue") {
                summary.expectContinue = minorVersion >= 1
            } else {
                summary.unknownExpectation = true
            }
        default:
            break
        }
    }

    /// Content-Length = 1*DIGIT (RFC 9110 §8.6), bounded well below Int64 overflow.
    private static func parseContentLength(_ bytes: UnsafeRawBufferPointer) throws(HTTPServerError) -> Int64 {
        guard !bytes.isEmpty, bytes.count <= 18 else { throw .badRequest(reason: "invalid Content-Length") }
        var length: Int64 = 0
        for byte in bytes {
            guard isDigit(byte) else { throw .badRequest(reason: "invalid Content-Length") }
            length = length * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return length
    }

    /// Decides the body framing from Content-Length and Transfer-Encoding (RFC 9112 §6.3).
    private static func resolveFraming(_ summary: FieldSummary, minorVersion: Int) throws(HTTPServerError) -> HTTPRequestBodyFraming {
        guard !summary.transferCodings.isEmpty else {
            if let length = summary.contentLength, length > 0 { return .contentLength(length) }
            return .none
        }
        // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
        if minorVersion == 0 { throw .badRequest(reason: "Transfer-Encoding in HTTP/1.0") }
        // RFC 9112 §6.1 and §11.2: both Transfer-Encoding and Content-Length is a smuggling
        // attempt; rejected (the connection is closed after the 400).
        if summary.contentLength != nil { throw .badRequest(reason: "both Transfer-Encoding and Content-Length") }
        // RFC 9112 §6.3 rule 4: chunked must be the final coding, or the length is unknown: 400.
        guard summary.transferCodings.last == "chunked" else { throw .badRequest(reason: "chunked is not the final coding") }
        // RFC 9112 §7: chunked MUST NOT be applied more than once.
        guard summary.transferCodings.filter({ $0 == "chunked" }).count == 1 else {
            throw .badRequest(reason: "chunked applied twice")
        }
        // RFC 9112 §6.1: a transfer coding the server does not understand is answered with 501.
        guard summary.transferCodings.count == 1 else { throw .unsupportedTransferCoding }
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
