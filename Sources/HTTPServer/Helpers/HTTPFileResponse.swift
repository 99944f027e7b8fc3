import Glibc
import HTTPTypes

/// Builds file responses that honour conditional requests and byte ranges.
public enum HTTPFileResponse {
    /// Opens the regular file at `path` and answers `request` with it: 200, 206, 304, 412 or
    /// 416 as `HTTPConditionalRequest` decides. Without an `etag`, a strong tag is derived from
    /// the file's size and modification time.
    public static func make(
        for request: HTTPServerRequest, path: String, contentType: String? = nil, etag: HTTPEntityTag? = nil
    ) throws(HTTPServerError) -> HTTPServerResponse {
        let (region, info) = try HTTPFileRegion.open(path: path)
        let modified = Int64(info.st_mtim.tv_sec)
        let tag = etag ?? HTTPEntityTag(
            "\(String(modified, radix: 16))-\(String(Int64(info.st_mtim.tv_nsec), radix: 16))-\(String(region.length, radix: 16))")
        return make(for: request, region: region, etag: tag, lastModified: modified, contentType: contentType)
    }

    /// Answers `request` with `region` (taken over: closed when no longer needed).
    public static func make(
        for request: HTTPServerRequest, region: HTTPFileRegion, etag: HTTPEntityTag?, lastModified: Int64?,
        contentType: String?
    ) -> HTTPServerResponse {
        var fields = HTTPFields()
        if let etag { fields[.eTag] = etag.description }
        if let lastModified { fields[.lastModified] = HTTPDate.format(lastModified) }
        fields[.acceptRanges] = "bytes"
        let decision = HTTPConditionalRequest.evaluate(request, etag: etag, lastModified: lastModified, length: region.length)
        switch decision {
        case .full:
            if let contentType { fields[.contentType] = contentType }
            return HTTPServerResponse(status: .ok, headerFields: fields, body: .file(region))
        case .partial(let range):
            // RFC 9110 §14.4 / §15.3.7: 206 with Content-Range: bytes first-last/complete-length.
            if let contentType { fields[.contentType] = contentType }
            fields[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(region.length)"
            return HTTPServerResponse(status: .partialContent, headerFields: fields, body: .file(region.narrowed(to: range)))
        case .notModified:
            // RFC 9110 §15.4.5: 304 carries the validators a 200 would have had.
            region.close()
            fields[.acceptRanges] = nil
            return HTTPServerResponse(status: .notModified, headerFields: fields)
        case .preconditionFailed:
            region.close()
            return HTTPServerResponse(status: .preconditionFailed)
        case .rangeNotSatisfiable:
            // RFC 9110 §15.5.17: 416 with Content-Range: bytes */complete-length.
            let length = region.length
            region.close()
            var refused = HTTPFields()
            refused[.contentRange] = "bytes */\(length)"
            return HTTPServerResponse(status: .rangeNotSatisfiable, headerFields: refused)
        }
    }
}
