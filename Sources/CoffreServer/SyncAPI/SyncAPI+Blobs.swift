import CoffreProtocol
import HTTPServer
import HTTPTypes

extension SyncAPI {
    /// Blobs: upload, download (Range, ETag, sendfile; a cached small blob on the event loop's
    /// fast lane), "which are missing", batch upload and batch download.
    var blobRoutes: [Route] {
        let store = store
        let blobs = blobs
        let authenticator = authenticator
        let maxJSON = maxJSONBodyBytes
        let maxBlob = blobs.disk.configuration.maxBlobSize
        return [
            Route(.put, SyncPath.blobPattern) { request in
                let session = try await authenticator.device(for: request, requiring: .sync)
                let vault = try request.vaultID()
                let id = try request.blobID()
                let length = try request.announcedLength(limit: maxBlob)
                let stored = try await blobs.upload(id, into: vault, user: session.userID, length: length, body: request.body)
                var fields = HTTPFields()
                fields[.eTag] = Self.entityTag(id)?.description
                // RFC 9110 §9.3.4: 201 when the PUT created the resource, 204 when it existed.
                return HTTPServerResponse(status: stored.isNew ? .created : .noContent, headerFields: fields)
            },
            Route(.get, SyncPath.blobPattern, attempt: { request in
                // The fast lane: every check the route below makes, from the caches only.
                guard let session = authenticator.cachedReader(for: request),
                    let vault = try? request.vaultID(), let id = try? request.blobID()
                else { return nil }
                if let bytes = blobs.cachedSmallBlob(id, in: vault, user: session.userID) {
                    return Self.wholeBlobResponse(for: request, bytes: bytes, id: id)
                }
                // A blob file: opened here on the loop thread, as the route below opens it. One
                // not wholly in the page cache (a blob written with O_DIRECT, or evicted) is left
                // to the route, which reads it in off the loop: sendfile(2) here would wait for
                // the disk on the loop thread (PageCacheLoader).
                guard let reader = blobs.openKnownMemberFile(id, in: vault, user: session.userID),
                    let response = try? Self.fileResponse(for: request, reader: reader, id: id),
                    response.uncachedFileRegion(for: request) == nil
                else { return nil }
                return response
            }) { request in
                let session = try await authenticator.reader(for: request)
                let vault = try request.vaultID()
                let id = try request.blobID()
                let reader = try await blobs.openRemembering(id, in: vault, user: session.userID)
                if let inline = reader as? InlineBlobReader {
                    return Self.bytesResponse(for: request, bytes: inline.bytes, id: id)
                }
                let response = try Self.fileResponse(for: request, reader: reader, id: id)
                try await response.uncachedFileRegion(for: request)?.loadIntoPageCache()
                return response
            },
            Route(.post, SyncPath.missingBlobsPattern) { request in
                let session = try await authenticator.reader(for: request)
                let vault = try request.vaultID()
                let query = try await request.decodeJSON(MissingBlobsRequest.self, maxBytes: maxJSON)
                return try .json(try await store.missingBlobs(vault, user: session.userID, query))
            },
            Route(.post, SyncPath.blobFetchPattern) { request in
                let session = try await authenticator.reader(for: request)
                let vault = try request.vaultID()
                let query = try await request.decodeJSON(BlobFetchRequest.self, maxBytes: maxJSON)
                let body = try await blobs.fetch(query.ids, in: vault, user: session.userID)
                var fields = HTTPFields()
                fields[.contentType] = BlobFetchRequest.responseContentType
                return HTTPServerResponse(status: .ok, headerFields: fields, body: body)
            },
            Route(.post, SyncPath.blobBatchPattern) { request in
                let session = try await authenticator.device(for: request, requiring: .sync)
                let vault = try request.vaultID()
                let length = try request.announcedLength(limit: maxBlob)
                let result = try await blobs.uploadBatch(
                    into: vault, user: session.userID, length: length, body: request.body,
                    maxBlobs: store.limits.maxMissingQueryIDs)
                return try .json(result)
            },
        ]
    }

    /// A blob's strong entity tag: its id (RFC 9110 §8.8.3). Content addressing makes the id
    /// change exactly when the bytes do.
    /// (64 hex digits are all etagc characters, so it is never nil.)
    static func entityTag(_ id: BlobID) -> HTTPEntityTag? {
        HTTPEntityTag(id.hex)
    }

    /// The blob as a file response: 200, 206 for a Range, 304 for a matching If-None-Match, 416
    /// (`HTTPFileResponse`, RFC 9110 §13, §14), sent with sendfile(2) from the reader's
    /// descriptor, which the response keeps open by holding the reader until it is sent (a blob
    /// of at most 16 KiB goes with the response head in one send: the HTTP connection does that
    /// for any small file).
    static func fileResponse(for request: HTTPServerRequest, reader: any BlobReader, id: BlobID) throws -> HTTPServerResponse {
        guard let descriptor = reader.fileDescriptor else { throw BlobStoreError.io(operation: "send a blob", detail: "no descriptor") }
        let region = HTTPFileRegion(descriptor: descriptor, offset: 0, length: reader.size, keptOpenBy: reader)
        var response = HTTPFileResponse.make(
            for: request, region: region, etag: entityTag(id), lastModified: nil, contentType: contentType)
        response.headerFields[.cacheControl] = cacheControl
        return response
    }

    /// The blob kept in the database (docs/storage-blobs.md, "Two homes") answered from its bytes
    /// as `fileResponse` answers from a file: the same statuses, fields and order — 200, 206 with
    /// Content-Range (RFC 9110 §14.4, §15.3.7), 304 with the validators (§15.4.5), 412, 416 with
    /// `bytes */length` (§15.5.17) — as `HTTPConditionalRequest` decides (§13.2.2).
    static func bytesResponse(for request: HTTPServerRequest, bytes: [UInt8], id: BlobID) -> HTTPServerResponse {
        let etag = entityTag(id)
        let length = Int64(bytes.count)
        var fields = HTTPFields()
        if let etag { fields[.eTag] = etag.description }
        fields[.acceptRanges] = "bytes"
        switch HTTPConditionalRequest.evaluate(request, etag: etag, lastModified: nil, length: length) {
        case .full:
            fields[.contentType] = contentType
            fields[.cacheControl] = cacheControl
            return HTTPServerResponse(status: .ok, headerFields: fields, body: .bytes(bytes))
        case .partial(let range):
            fields[.contentType] = contentType
            fields[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(length)"
            fields[.cacheControl] = cacheControl
            let part = Array(bytes[Int(range.lowerBound)...Int(range.upperBound)])
            return HTTPServerResponse(status: .partialContent, headerFields: fields, body: .bytes(part))
        case .notModified:
            fields[.acceptRanges] = nil
            fields[.cacheControl] = cacheControl
            return HTTPServerResponse(status: .notModified, headerFields: fields)
        case .preconditionFailed:
            var refused = HTTPFields()
            refused[.cacheControl] = cacheControl
            return HTTPServerResponse(status: .preconditionFailed, headerFields: refused)
        case .rangeNotSatisfiable:
            var refused = HTTPFields()
            refused[.contentRange] = "bytes */\(length)"
            refused[.cacheControl] = cacheControl
            return HTTPServerResponse(status: .rangeNotSatisfiable, headerFields: refused)
        }
    }

    /// The 200 that `fileResponse` gives for the whole blob, from its bytes in memory: the same
    /// status and fields in the same order (`HTTPFileResponse`'s, then Cache-Control); nil when
    /// the request's preconditions or Range ask for another answer (RFC 9110 §13.2.2, §14.2),
    /// which the route then gives from the file.
    static func wholeBlobResponse(for request: HTTPServerRequest, bytes: [UInt8], id: BlobID) -> HTTPServerResponse? {
        let etag = entityTag(id)
        let decision = HTTPConditionalRequest.evaluate(request, etag: etag, lastModified: nil, length: Int64(bytes.count))
        guard decision == .full else { return nil }
        return HTTPServerResponse(status: .ok, headerFields: wholeBlobFields(id), body: .bytes(bytes))
    }

    /// The fields of the whole blob's 200, as `HTTPFileResponse` orders them, then
    /// Cache-Control (also what `SmallBlobCache` prepares for the lean fast lane).
    static func wholeBlobFields(_ id: BlobID) -> HTTPFields {
        var fields = HTTPFields()
        if let etag = entityTag(id) { fields[.eTag] = etag.description }
        fields[.acceptRanges] = "bytes"
        fields[.contentType] = contentType
        fields[.cacheControl] = cacheControl
        return fields
    }

    /// Blobs are opaque ciphertext.
    static let contentType = "application/octet-stream"

    /// Content-addressed bytes never change under their URL; only the owner's client may keep
    /// them (RFC 9111 §5.2.2.7 private, RFC 8246 immutable).
    static let cacheControl = "private, max-age=31536000, immutable"
}
