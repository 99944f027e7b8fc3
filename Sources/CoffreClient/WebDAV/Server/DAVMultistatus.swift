import HTTPServer
import HTTPTypes

/// Renders RFC 4918 §13 multistatus bodies and §16 error bodies. Everything in the `DAV:`
/// namespace uses the `D:` prefix; other properties declare their namespace on themselves.
enum DAVMultistatus {
    static let contentType = "application/xml; charset=utf-8"

    /// A writer with the XML declaration and the opening `multistatus` element.
    static func begin(capacity: Int = 1024) -> DAVXMLWriter {
        var writer = DAVXMLWriter(capacity: capacity)
        writer.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\">")
        return writer
    }

    /// Closes the multistatus and wraps it in a 207 response.
    static func end(_ writer: consuming DAVXMLWriter) -> HTTPServerResponse {
        writer.raw("</D:multistatus>\n")
        var fields = HTTPFields()
        fields[.contentType] = contentType
        return HTTPServerResponse(status: HTTPResponse.Status(code: 207, reasonPhrase: "Multi-Status"), headerFields: fields, body: .bytes(writer.bytes))
    }

    /// A 207 whose body `produce` writes in pieces (chunked): `produce` starts with the writer
    /// from `begin` and ends with `</D:multistatus>`.
    static func streamed(_ produce: @escaping @Sendable (_ emit: ([UInt8]) async throws -> Void) async throws -> Void) -> HTTPServerResponse {
        var fields = HTTPFields()
        fields[.contentType] = contentType
        return HTTPServerResponse(
            status: HTTPResponse.Status(code: 207, reasonPhrase: "Multi-Status"), headerFields: fields,
            body: .stream(length: nil) { writer in try await produce { try await writer.write($0) } })
    }

    /// `<D:href>` for a path.
    static func href(_ path: DAVPath, isCollection: Bool, into writer: inout DAVXMLWriter) {
        writer.raw("<D:href>")
        writer.href(path, isCollection: isCollection)
        writer.raw("</D:href>")
    }

    /// `<D:status>HTTP/1.1 200 OK</D:status>` (RFC 4918 §14.28).
    static func status(_ status: HTTPResponse.Status, into writer: inout DAVXMLWriter) {
        writer.raw("<D:status>HTTP/1.1 ")
        writer.raw(String(status.code))
        writer.raw(" ")
        writer.raw(status.reasonPhrase)
        writer.raw("</D:status>")
    }

    /// A `propstat` with the given property names (empty elements) and status.
    /// `condition` adds an RFC 4918 §16 precondition element (§14.22: propstat may carry one).
    static func propstat(names: [DAVPropertyName], status: HTTPResponse.Status, condition: String? = nil, into writer: inout DAVXMLWriter) {
        writer.raw("<D:propstat><D:prop>")
        for name in names { emptyProperty(name, into: &writer) }
        writer.raw("</D:prop>")
        self.status(status, into: &writer)
        if let condition {
            writer.raw("<D:error><D:")
            writer.raw(condition)
            writer.raw("/></D:error>")
        }
        writer.raw("</D:propstat>")
    }

    /// `<D:name/>` for a `DAV:` property, `<name xmlns="ns"/>` for any other.
    static func emptyProperty(_ name: DAVPropertyName, into writer: inout DAVXMLWriter) {
        if name.namespace == "DAV:" {
            writer.raw("<D:")
            writer.raw(name.name)
            writer.raw("/>")
        } else {
            writer.property(name, value: nil, inheritedNamespace: nil)
        }
    }

    /// A dead property with its value.
    static func deadProperty(_ name: DAVPropertyName, _ value: DAVPropertyValue, into writer: inout DAVXMLWriter) {
        writer.property(name, value: value, inheritedNamespace: nil)
    }

    /// RFC 4918 §16: `<D:error><D:condition><D:href>…</D:href></D:condition></D:error>`.
    static func errorBody(condition: String, href: String?) -> [UInt8] {
        var writer = DAVXMLWriter()
        writer.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\"><D:")
        writer.raw(condition)
        if let href {
            writer.raw("><D:href>")
            writer.text(href)
            writer.raw("</D:href></D:")
            writer.raw(condition)
            writer.raw(">")
        } else {
            writer.raw("/>")
        }
        writer.raw("</D:error>\n")
        return writer.bytes
    }

    /// A response carrying an RFC 4918 §16 precondition body.
    static func errorResponse(_ status: HTTPResponse.Status, condition: String, href: String? = nil) -> HTTPServerResponse {
        var fields = HTTPFields()
        fields[.contentType] = contentType
        return HTTPServerResponse(status: status, headerFields: fields, body: .bytes(errorBody(condition: condition, href: href)))
    }
}
