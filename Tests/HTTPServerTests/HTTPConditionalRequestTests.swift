import HTTPServer
import HTTPTypes
import Testing

@Suite("Conditional requests, ranges, dates")
struct HTTPConditionalRequestTests {
    static let etag = HTTPEntityTag("v1")!
    static let modified: Int64 = 784_111_777  // Sun, 06 Nov 1994 08:49:37 GMT

    func decide(_ fields: [(HTTPField.Name, String)], method: HTTPRequest.Method = .get, length: Int64 = 100) -> HTTPRepresentationDecision {
        var headerFields = HTTPFields()
        for (name, value) in fields { headerFields.append(HTTPField(name: name, value: value)) }
        return HTTPConditionalRequest.evaluate(
            method: method, headerFields: headerFields, etag: Self.etag, lastModified: Self.modified, length: length)
    }

    @Test func formatsAndParsesHTTPDates() {
        #expect(HTTPDate.format(Self.modified) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(951_782_400) == "Tue, 29 Feb 2000 00:00:00 GMT")
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == Self.modified)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == Self.modified)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994") == Self.modified)
        for invalid in ["", "yesterday", "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49 GMT"] {
            #expect(HTTPDate.parse(invalid) == nil)
        }
    }

    @Test func comparesEntityTags() throws {
        let strong = try #require(HTTPEntityTag("x"))
        let weak = try #require(HTTPEntityTag("x", weak: true))
        #expect(strong.matchesStrongly(strong))
        #expect(!strong.matchesStrongly(weak))
        #expect(strong.matchesWeakly(weak))
        #expect(weak.description == "W/\"x\"")
        #expect(HTTPEntityTag("a\"b") == nil)
    }

    @Test func evaluatesPreconditionsInOrder() {
        #expect(decide([]) == .full)
        #expect(decide([(.ifMatch, "\"v1\"")]) == .full)
        #expect(decide([(.ifMatch, "*")]) == .full)
        #expect(decide([(.ifMatch, "\"v2\", \"v3\"")]) == .preconditionFailed)
        #expect(decide([(.ifMatch, "W/\"v1\"")]) == .preconditionFailed)  // strong comparison
        #expect(decide([(.ifMatch, "garbage")]) == .preconditionFailed)
        #expect(decide([(.ifUnmodifiedSince, "Sat, 05 Nov 1994 08:49:37 GMT")]) == .preconditionFailed)
        #expect(decide([(.ifUnmodifiedSince, "Sun, 06 Nov 1994 08:49:37 GMT")]) == .full)
        #expect(decide([(.ifUnmodifiedSince, "not a date")]) == .full)
        #expect(decide([(.ifNoneMatch, "W/\"v1\"")]) == .notModified)  // weak comparison
        #expect(decide([(.ifNoneMatch, "*")]) == .notModified)
        #expect(decide([(.ifNoneMatch, "*")], method: .put) == .preconditionFailed)
        #expect(decide([(.ifNoneMatch, "\"v2\"")]) == .full)
        #expect(decide([(.ifModifiedSince, "Sun, 06 Nov 1994 08:49:37 GMT")]) == .notModified)
        #expect(decide([(.ifModifiedSince, "Sat, 05 Nov 1994 08:49:37 GMT")]) == .full)
        // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2 step 4).
        #expect(decide([(.ifNoneMatch, "\"v2\""), (.ifModifiedSince, "Sun, 06 Nov 1994 08:49:37 GMT")]) == .full)
        #expect(decide([(.ifModifiedSince, "Sun, 06 Nov 1994 08:49:37 GMT")], method: .post) == .full)
    }

    @Test func evaluatesRanges() {
        #expect(decide([(.range, "bytes=0-9")]) == .partial(0...9))
        #expect(decide([(.range, "bytes=90-")]) == .partial(90...99))
        #expect(decide([(.range, "bytes=-10")]) == .partial(90...99))
        #expect(decide([(.range, "bytes=-1000")]) == .partial(0...99))
        #expect(decide([(.range, "bytes=50-5000")]) == .partial(50...99))
        #expect(decide([(.range, "bytes=100-")]) == .rangeNotSatisfiable)
        #expect(decide([(.range, "bytes=-0")]) == .rangeNotSatisfiable)
        #expect(decide([(.range, "bytes=0-1,5-6")]) == .full)  // several ranges: whole body, RFC 9110 §14.2
        #expect(decide([(.range, "items=0-1")]) == .full)
        #expect(decide([(.range, "bytes=5-1")]) == .full)
        #expect(decide([(.range, "bytes=x-1")]) == .full)
        #expect(decide([(.range, "bytes=0-1")], method: .head) == .full)  // only GET has ranges
        #expect(decide([(.range, "bytes=0-1"), (.ifRange, "\"v1\"")]) == .partial(0...1))
        #expect(decide([(.range, "bytes=0-1"), (.ifRange, "\"v0\"")]) == .full)
        #expect(decide([(.range, "bytes=0-1"), (.ifRange, "W/\"v1\"")]) == .full)
        #expect(decide([(.range, "bytes=0-1"), (.ifRange, "Sun, 06 Nov 1994 08:49:37 GMT")]) == .partial(0...1))
        #expect(decide([(.range, "bytes=0-1"), (.ifRange, "Sat, 05 Nov 1994 08:49:37 GMT")]) == .full)
        #expect(decide([(.range, "bytes=0-0")], length: 0) == .rangeNotSatisfiable)
    }
}
