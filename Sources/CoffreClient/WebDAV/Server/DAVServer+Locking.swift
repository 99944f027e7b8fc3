import HTTPServer
import HTTPTypes

/// LOCK, UNLOCK, and the lock and `If` checks every state-changing method makes.
extension DAVServer {
    /// Checks, in this order, that the request's `If` header holds (RFC 4918 §10.4.1, 412) and
    /// that it submitted the token of every lock covering the resources it changes (§7.4, 423
    /// with `lock-token-submitted`). Each entry of `changing` is a path and whether its members
    /// change too.
    func checkPreconditions(_ request: HTTPServerRequest, _ path: DAVPath, changing: [(DAVPath, Bool)]) async throws {
        let ifHeader = try DAVRequestFields.ifHeader(request)
        let submitted = ifHeader?.submittedTokens ?? []
        if let ifHeader { try await evaluate(ifHeader, request, path) }
        for (changed, withMembers) in changing { try locks.checkWritable(changed, withMembers: withMembers, submitted: submitted) }
    }

    /// Throws `.preconditionFailed` unless `ifHeader` holds.
    func evaluate(_ ifHeader: DAVIfHeader, _ request: HTTPServerRequest, _ path: DAVPath) async throws {
        let host = request.headerFields[DAVRequestFields.hostName]
        let holds = try await ifHeader.evaluate(
            requestPath: path, resolve: { tag in (try? DAVRequestFields.resolve(tag, host: host)) ?? nil },
            state: { resource in
                let info = try await self.storage.info(at: resource, withProperties: false)
                return DAVIfHeader.ResourceState(etag: info?.etag, lockTokens: self.locks.tokens(covering: resource))
            })
        guard holds else { throw DAVError.preconditionFailed }
    }

    /// RFC 4918 §9.10: a new lock (body `lockinfo`) or a refresh (no body, the token in `If`).
    /// Locking an unmapped URL creates an empty resource (§7.3) and answers 201.
    func lock(_ request: HTTPServerRequest, _ path: DAVPath) async throws -> HTTPServerResponse {
        let body = try await request.body.collect(upTo: configuration.maximumXMLBytes)
        let timeout = DAVRequestFields.timeout(request)
        guard !body.isEmpty else { return try refreshLock(request, path, timeout: timeout) }
        let depth = try DAVRequestFields.depth(request, allowed: [.zero, .infinity], fallback: .infinity)
        let info = try DAVXMLParser.parse(body, limits: configuration.xmlLimits)
        guard info.isDAV("lockinfo"), let scopeElement = info.davChild("lockscope"), let typeElement = info.davChild("locktype") else {
            throw DAVError.badRequest("LOCK body must be a DAV:lockinfo with lockscope and locktype")
        }
        guard typeElement.davChild("write") != nil else { throw DAVError.badRequest("only write locks exist") }
        let scope: DAVLock.Scope
        if scopeElement.davChild("exclusive") != nil {
            scope = .exclusive
        } else if scopeElement.davChild("shared") != nil {
            scope = .shared
        } else {
            throw DAVError.badRequest("unknown lock scope")
        }
        var ownerXML: [UInt8]?
        if let owner = info.davChild("owner") {
            var writer = DAVXMLWriter()
            writer.element(owner, defaultNamespace: nil)
            ownerXML = writer.bytes
        }
        let existing = try await storage.info(at: path, withProperties: false)
        try await checkPreconditions(request, path, changing: [])
        let lock = try locks.lock(
            path, rootIsCollection: existing?.isCollection ?? false, scope: scope, coversMembers: depth == .infinity,
            ownerXML: ownerXML, timeoutSeconds: timeout)
        var created = false
        if existing == nil {
            // §7.3: an empty resource, created atomically only if still absent.
            do {
                try locks.checkWritable(path.parent ?? .root, withMembers: false, submitted: [lock.token])
                created = try await storage.write(path, body: HTTPRequestBody.empty, condition: .absent).created
            } catch {
                _ = locks.unlock(token: lock.token, at: path)
                if case DAVError.preconditionFailed = error { throw DAVError.conflict("created concurrently") }
                throw error
            }
        }
        var response = lockResponse(lock, status: created ? .created : .ok)
        response.headerFields[DAVRequestFields.lockTokenName] = "<\(lock.token)>"
        return response
    }

    /// RFC 4918 §9.10.2: refreshes the lock whose token is in `If`; 412 when none applies.
    func refreshLock(_ request: HTTPServerRequest, _ path: DAVPath, timeout: Int?) throws -> HTTPServerResponse {
        guard let ifHeader = try DAVRequestFields.ifHeader(request) else { throw DAVError.badRequest("refresh needs an If header") }
        for token in ifHeader.submittedTokens.sorted() {
            if let lock = locks.refresh(token: token, at: path, timeoutSeconds: timeout) { return lockResponse(lock, status: .ok) }
        }
        throw DAVError.preconditionFailed
    }

    /// The LOCK answer: `<D:prop><D:lockdiscovery>` with the lock (§9.10.1).
    func lockResponse(_ lock: DAVLock, status: HTTPResponse.Status) -> HTTPServerResponse {
        var writer = DAVXMLWriter(capacity: 512)
        writer.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:prop xmlns:D=\"DAV:\"><D:lockdiscovery>")
        DAVLiveProperty.writeActiveLock(lock, to: &writer, now: locks.now())
        writer.raw("</D:lockdiscovery></D:prop>\n")
        var fields = HTTPFields()
        fields[.contentType] = DAVMultistatus.contentType
        return HTTPServerResponse(status: status, headerFields: fields, body: .bytes(writer.bytes))
    }

    /// RFC 4918 §9.11: 204, or 409 with `lock-token-matches-request-uri` when the token names
    /// no lock covering the request URI.
    func unlock(_ request: HTTPServerRequest, _ path: DAVPath) async throws -> HTTPServerResponse {
        let token = try DAVRequestFields.lockToken(request)
        guard locks.unlock(token: token, at: path) else {
            return DAVMultistatus.errorResponse(.conflict, condition: "lock-token-matches-request-uri")
        }
        return HTTPServerResponse(status: .noContent)
    }
}
