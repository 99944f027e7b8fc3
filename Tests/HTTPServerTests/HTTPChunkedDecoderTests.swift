import Testing

@testable import HTTPServer

@Suite("Chunked decoder")
struct HTTPChunkedDecoderTests {
    /// Decodes `text` split into pieces of `step` bytes; returns the data and bytes consumed.
    func decode(_ text: String, step: Int = .max) throws(HTTPServerError) -> (data: String, consumed: Int, finished: Bool) {
        var decoder = HTTPChunkedDecoder(maxExtensionBytes: 16, maxTrailerBytes: 32)
        let bytes = Array(text.utf8)
        var data: [UInt8] = []
        var consumed = 0
        while consumed < bytes.count && !decoder.isFinished {
            let end = min(bytes.count, consumed + min(step, bytes.count - consumed))
            let result = bytes[consumed..<end].withUnsafeBytes { buffer in
                Result { () throws(HTTPServerError) in try decoder.decode(buffer) { data.append(contentsOf: $0) } }
            }
            let used = try result.get()
            consumed += used
            if used < end - (consumed - used) { break }
        }
        return (String(decoding: data, as: UTF8.self), consumed, decoder.isFinished)
    }

    @Test(arguments: [1, 2, 3, 7, Int.max])
    func decodesBodiesSplitAnywhere(step: Int) throws {
        let body = "5\r\nhello\r\nA;name=value\r\n, world!!!\r\n0\r\nX-Trailer: 1\r\n\r\n"
        let result = try decode(body + "GET /next", step: step)
        #expect(result.data == "hello, world!!!")
        #expect(result.consumed == body.utf8.count)
        #expect(result.finished)
    }

    @Test func waitsForMoreInput() throws {
        let result = try decode("5\r\nhel")
        #expect(result.data == "hel")
        #expect(!result.finished)
    }

    static let refused: [String] = [
        "x\r\n",  // not hex
        "\r\n",  // no digits
        "12345678901234567\r\n",  // overflow
        "5\r\nhelloXY",  // missing CRLF after data
        "5\rX",  // bare CR after size
        "5;" + String(repeating: "e", count: 40) + "\r\n",  // extension too long
        "0\r\nX: " + String(repeating: "t", count: 40) + "\r\n\r\n",  // trailer too large
        "0\r\nX: 1\rY\r\n",  // bare CR in trailer
        "0\r\n\rX",  // missing final LF
        "5 \u{1}\r\n",  // control character in extension
    ]

    @Test(arguments: refused)
    func refusesInvalidInput(_ text: String) {
        #expect(throws: HTTPServerError.self) { try decode(text) }
        #expect(throws: HTTPServerError.self) { try decode(text, step: 1) }
    }
}
