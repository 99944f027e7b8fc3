import HTTPTypes

/// A complete response built once and sent many times by the fast lane (`HTTPFastLane`): the
/// status line, the fields and the body as the bytes the connection writes, in the order and
/// spelling `HTTPServerResponse` would give. Per request only the `Date` line is inserted,
/// `Connection: close` added when the connection ends, and the body left out for HEAD.
public final class HTTPPreparedResponse: Sendable {
    /// The status code, for metrics and the access log.
    let statusCode: Int
    /// `HTTP/1.1 <code> <reason>` CRLF.
    let statusLine: [UInt8]
    /// Every field line after Date, each with its CRLF, ending with Content-Length.
    let fieldLines: [UInt8]
    /// The content, sent unless the request is HEAD (RFC 9110 §9.3.2).
    public let body: [UInt8]

    /// Prepares `status`, `headerFields` and `body`. Fields the server manages itself (Date,
    /// Content-Length, Transfer-Encoding, Connection) are dropped as `HTTPServerResponse`'s
    /// are; Content-Length is the body's (RFC 9110 §8.6). The status must be one that has
    /// content (RFC 9110 §6.4.1: not 1xx, 204 or 304), a programming error otherwise.
    public init(status: HTTPResponse.Status, headerFields: HTTPFields, body: [UInt8]) {
        precondition(status.code >= 200 && status.code != 204 && status.code != 304, "a prepared response needs a status with content")
        statusCode = status.code
        var line: [UInt8] = []
        HTTPConnection.appendStatusLine(status, to: &line)
        statusLine = line
        var fields: [UInt8] = []
        HTTPConnection.appendFieldLines(headerFields, to: &fields)
        HTTPConnection.appendContentLength(Int64(body.count), to: &fields)
        fieldLines = fields
        self.body = body
    }

    /// Bytes of the response with a Date line of `dateCount` bytes and `Connection: close`.
    func maximumByteCount(dateCount: Int) -> Int {
        statusLine.count + dateCount + 8 + fieldLines.count + 21 + body.count
    }
}
