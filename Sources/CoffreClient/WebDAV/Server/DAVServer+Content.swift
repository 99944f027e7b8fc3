import HTTPServer
import HTTPTypes

/// GET, HEAD, PUT, DELETE and MKCOL.
extension DAVServer {
    /// RFC 9110 §9.3.1–§9.3.2 with validators (§8.8) and ranges (§14): the decision of
    /// `HTTPConditionalRequest` (200/206/304/412/416). A collection answers a small HTML index.
    func get(_ request: HTTPServerRequest, _ path: DAVPath) async throws -> HTTPServerResponse {
        let isHead = request.method == .head
        let info: DAVResourceInfo
        var whole: DAVContent?
        if isHead {
            info = try await existing(path)
        } else {
            guard let found = try await storage.readWithInfo(path) else { throw DAVError.notFound }
            (info, whole) = found
        }
        if info.isCollection { return try await collectionIndex(info) }
        let etag = info.etag.flatMap { HTTPEntityTag($0) }
        var fields = HTTPFields()
        if let etag { fields[.eTag] = etag.description }
        fields[.lastModified] = HTTPDate.format(info.lastModified)
        let decision = HTTPConditionalRequest.evaluate(request, etag: etag, lastModified: info.lastModified, length: info.contentLength)
        switch decision {
        case .full:
            fields[.acceptRanges] = "bytes"
            fields[.contentType] = info.contentType ?? DAVContentType.fallback
            // HEAD: the same fields, the length known, nothing read (RFC 9110 §9.3.2).
            let body: HTTPResponseBody = whole.map(Self.body) ?? .stream(length: info.contentLength) { _ in }
            return HTTPServerResponse(status: .ok, headerFields: fields, body: body)
        case .partial(let range):
            // RFC 9110 §15.3.7: 206 with Content-Range: bytes first-last/complete-length.
            fields[.acceptRanges] = "bytes"
            fields[.contentType] = info.contentType ?? DAVContentType.fallback
            fields[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(info.contentLength)"
            return HTTPServerResponse(status: .partialContent, headerFields: fields, body: Self.body(try await storage.read(path, range: range)))
        case .notModified:
            // RFC 9110 §15.4.5: 304 carries the validators a 200 would have had.
            return HTTPServerResponse(status: .notModified, headerFields: fields)
        case .preconditionFailed:
            throw DAVError.preconditionFailed
        case .rangeNotSatisfiable:
            // RFC 9110 §15.5.17: 416 with Content-Range: bytes */complete-length.
            var refused = HTTPFields()
            refused[.contentRange] = "bytes */\(info.contentLength)"
            return HTTPServerResponse(status: .rangeNotSatisfiable, headerFields: refused)
        }
    }

    /// The response body for read content.
    static func body(_ content: DAVContent) -> HTTPResponseBody {
        switch content {
        case .bytes(let bytes): .bytes(bytes)
        case .file(let region): .file(region)
        case .stream(let length, let produce): .stream(length: length) { writer in try await produce { try await writer.write($0) } }
        }
    }

    /// A minimal HTML list of a collection's members, for browsers.
    func collectionIndex(_ info: DAVResourceInfo) async throws -> HTTPServerResponse {
        let members = try await storage.children(of: info.path, withProperties: false)
        var writer = DAVXMLWriter(capacity: 256 + members.count * 96)
        writer.raw("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
        writer.text(info.path.description)
        writer.raw("</title></head><body><ul>\n")
        for member in members {
            writer.raw("<li><a href=\"")
            writer.attributeValue(member.path.href(isCollection: member.isCollection))
            writer.raw("\">")
            writer.text(member.path.name + (member.isCollection ? "/" : ""))
            writer.raw("</a></li>\n")
        }
        writer.raw("</ul></body></html>\n")
        var fields = HTTPFields()
        fields[.contentType] = "text/html; charset=utf-8"
        return HTTPServerResponse(status: .ok, headerFields: fields, body: .bytes(writer.bytes))
    }

    /// RFC 9110 §9.3.4 / RFC 4918 §9.7: 201 when created, 204 when replaced, 409 without a
    /// parent, 405 on a collection; If-Match / If-None-Match are handed to the storage, which
    /// checks them atomically with the replacement.
    func put(_ request: HTTPServerRequest, _ path: DAVPath) async throws -> HTTPServerResponse {
        guard !path.isRoot else { throw DAVError.methodNotAllowed }
        let current = try await storage.info(at: path, withProperties: false)
        if current?.isCollection == true { throw DAVError.methodNotAllowed }
        // RFC 4918 §7.4: changing a locked resource, or adding a member to a locked collection,
        // needs the lock's token.
        try await checkPreconditions(request, path, changing: current == nil ? [(path, false), (path.parent!, false)] : [(path, false)])
        // Fail fast before reading the body (If-Unmodified-Since is only checked here); the
        // storage checks If-Match / If-None-Match again at the commit.
        if HTTPConditionalRequest.evaluate(
            request, etag: current?.etag.flatMap { HTTPEntityTag($0) }, lastModified: current?.lastModified, length: current?.contentLength ?? 0)
            == .preconditionFailed
        {
            throw DAVError.preconditionFailed
        }
        let result = try await storage.write(path, body: request.body, condition: try DAVRequestFields.writeCondition(request))
        var fields = HTTPFields()
        fields[.eTag] = "\"\(result.etag)\""
        return HTTPServerResponse(status: result.created ? .created : .noContent, headerFields: fields)
    }

    /// RFC 4918 §9.6: removes the resource and everything below it, and the locks rooted there
    /// (§7.5); a collection is always deleted with `Depth: infinity`.
    func delete(_ request: HTTPServerRequest, _ path: DAVPath) async throws -> HTTPServerResponse {
        let info = try await existing(path)
        guard !path.isRoot else { throw DAVError.forbidden("the root cannot be deleted") }
        if info.isCollection { _ = try DAVRequestFields.depth(request, allowed: [.infinity], fallback: .infinity) }
        try await checkPreconditions(request, path, changing: [(path, info.isCollection), (path.parent!, false)])
        try await storage.delete(path)
        locks.removeLocks(under: path)
        return HTTPServerResponse(status: .noContent)
    }

    /// RFC 4918 §9.3: 201, 405 when something exists, 409 without a parent, 415 with a body.
    func makeCollection(_ request: HTTPServerRequest, _ path: DAVPath) async throws -> HTTPServerResponse {
        if request.body.expectedLength != 0 {
            // §9.3.1: this server defines no MKCOL body, so any body is an unsupported type.
            let body = try await request.body.collect(upTo: configuration.maximumXMLBytes)
            if !body.isEmpty { throw DAVError.unsupportedMediaType }
        }
        guard let parent = path.parent else { throw DAVError.alreadyExists }
        try await checkPreconditions(request, path, changing: [(path, false), (parent, false)])
        try await storage.makeCollection(at: path)
        return HTTPServerResponse(status: .created)
    }
}
