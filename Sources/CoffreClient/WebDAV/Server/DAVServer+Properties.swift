import HTTPServer
import HTTPTypes

/// PROPFIND and PROPPATCH (RFC 4918 §9.1, §9.2).
extension DAVServer {
    /// What a PROPFIND asks for (§14.20 propfind).
    enum PropertyRequest: Sendable {
        case all
        case names
        case properties([DAVPropertyName])
    }

    /// §9.1: Depth 0 or 1; infinity is refused with 403 and `propfind-finite-depth` (§9.1,
    /// §16). An empty body means allprop.
    func propfind(_ request: HTTPServerRequest, _ path: DAVPath) async throws -> HTTPServerResponse {
        let depth = try DAVRequestFields.depth(request, allowed: [.zero, .one, .infinity], fallback: .infinity)
        guard depth != .infinity else { return DAVMultistatus.errorResponse(.forbidden, condition: "propfind-finite-depth") }
        let body = try await request.body.collect(upTo: configuration.maximumXMLBytes)
        let wanted = try body.isEmpty ? .all : Self.propertyRequest(DAVXMLParser.parse(body, limits: configuration.xmlLimits))
        let needsDead: Bool = switch wanted {
        case .all, .names: true
        case .properties(let names): names.contains { DAVLiveProperty($0) == nil }
        }
        let info = try await existing(path, withProperties: needsDead)
        let members = depth == .one && info.isCollection ? try await storage.children(of: path, withProperties: needsDead) : []
        var context = RenderContext(now: locks.now(), locks: locks.activeLocks())
        guard members.count > Self.membersRenderedWhole else {
            var writer = DAVMultistatus.begin(capacity: 1024 + members.count * 800)
            render(info, wanted, context: &context, into: &writer)
            for index in members.indices { render(members[index], wanted, context: &context, into: &writer) }
            return DAVMultistatus.end(writer)
        }
        // A large listing is streamed in pieces as it is rendered, so the body is never held
        // whole (and the client starts reading early).
        return DAVMultistatus.streamed { [self, context] emit in
            var context = context
            var writer = DAVMultistatus.begin(capacity: Self.streamPieceBytes + 4096)
            render(info, wanted, context: &context, into: &writer)
            for index in members.indices {
                render(members[index], wanted, context: &context, into: &writer)
                if writer.bytes.count >= Self.streamPieceBytes { try await emit(writer.take()) }
            }
            writer.raw("</D:multistatus>\n")
            try await emit(writer.take())
        }
    }

    /// Listings up to this many members are rendered into one buffer; larger ones are streamed.
    static let membersRenderedWhole = 256
    /// Size of each streamed piece of a large multistatus.
    static let streamPieceBytes = 128 << 10

    static func propertyRequest(_ root: DAVXMLElement) throws(DAVError) -> PropertyRequest {
        guard root.isDAV("propfind") else { throw .badRequest("PROPFIND body must be a DAV:propfind") }
        for element in root.elements {
            if element.isDAV("allprop") { return .all }
            if element.isDAV("propname") { return .names }
            if element.isDAV("prop") {
                let names = element.elements.map(\.name)
                // RFC 4918 §14.18: prop holds at least one property name.
                guard !names.isEmpty else { throw .badRequest("empty DAV:prop") }
                return .properties(names)
            }
        }
        throw .badRequest("DAV:propfind needs allprop, propname or prop")
    }

    /// What every response of one PROPFIND shares: the time, a snapshot of the locks, dates
    /// already formatted.
    struct RenderContext {
        let now: Double
        let locks: [DAVLock]
        var dates = DAVLiveProperty.DateCache()
    }

    /// One `response` of a PROPFIND: found properties under 200, missing ones under 404.
    func render(_ info: DAVResourceInfo, _ wanted: PropertyRequest, context: inout RenderContext, into writer: inout DAVXMLWriter) {
        writer.raw("<D:response>")
        DAVMultistatus.href(info.path, isCollection: info.isCollection, into: &writer)
        let lockList = context.locks.isEmpty ? [] : context.locks.filter { $0.covers(info.path) }
        let now = context.now
        switch wanted {
        case .all, .names:
            let nameOnly = if case .names = wanted { true } else { false }
            writer.raw("<D:propstat><D:prop>")
            for property in DAVLiveProperty.allCases where property.isDefined(for: info) {
                property.write(to: &writer, info: info, locks: lockList, now: now, dates: &context.dates, nameOnly: nameOnly)
            }
            for (name, value) in (info.deadProperties ?? [:]).sorted(by: { $0.key < $1.key }) {
                if nameOnly { DAVMultistatus.emptyProperty(name, into: &writer) } else { DAVMultistatus.deadProperty(name, value, into: &writer) }
            }
            writer.raw("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>")
        case .properties(let names):
            var missing: [DAVPropertyName] = []
            var foundAny = false
            for name in names {
                if let live = DAVLiveProperty(name), live.isDefined(for: info) {
                    if !foundAny { writer.raw("<D:propstat><D:prop>") }
                    foundAny = true
                    live.write(to: &writer, info: info, locks: lockList, now: now, dates: &context.dates, nameOnly: false)
                } else if DAVLiveProperty(name) == nil, let value = info.deadProperties?[name] {
                    if !foundAny { writer.raw("<D:propstat><D:prop>") }
                    foundAny = true
                    DAVMultistatus.deadProperty(name, value, into: &writer)
                } else {
                    missing.append(name)
                }
            }
            if foundAny {
                writer.raw("</D:prop>")
                DAVMultistatus.status(.ok, into: &writer)
                writer.raw("</D:propstat>")
            }
            if !missing.isEmpty { DAVMultistatus.propstat(names: missing, status: .notFound, into: &writer) }
        }
        writer.raw("</D:response>")
    }

    /// §9.2: every instruction in order, all or none. A live property cannot be changed
    /// (403 with `cannot-modify-protected-property`, §16); the others then fail with 424.
    func proppatch(_ request: HTTPServerRequest, _ path: DAVPath) async throws -> HTTPServerResponse {
        let body = try await request.body.collect(upTo: configuration.maximumXMLBytes)
        let root = try DAVXMLParser.parse(body, limits: configuration.xmlLimits)
        guard root.isDAV("propertyupdate") else { throw DAVError.badRequest("PROPPATCH body must be a DAV:propertyupdate") }
        var changes: [DAVPropertyChange] = []
        for instruction in root.elements {
            let isSet = instruction.isDAV("set")
            guard isSet || instruction.isDAV("remove") else { continue }
            for prop in instruction.elements where prop.isDAV("prop") {
                for property in prop.elements {
                    changes.append(isSet ? .set(property.name, DAVXMLWriter.propertyValue(of: property)) : .remove(property.name))
                }
            }
        }
        guard !changes.isEmpty else { throw DAVError.badRequest("PROPPATCH without set or remove") }
        guard changes.count <= DAVPropertyLimits.maximumCount else { throw DAVError.insufficientStorage("too many properties") }
        let info = try await existing(path)
        try await checkPreconditions(request, path, changing: [(path, false)])
        var names: [DAVPropertyName] = []
        for change in changes where !names.contains(change.name) { names.append(change.name) }
        let protected = names.filter { DAVLiveProperty($0) != nil }
        var writer = DAVMultistatus.begin()
        writer.raw("<D:response>")
        DAVMultistatus.href(path, isCollection: info.isCollection, into: &writer)
        if !protected.isEmpty {
            DAVMultistatus.propstat(names: protected, status: .forbidden, condition: "cannot-modify-protected-property", into: &writer)
            let others = names.filter { DAVLiveProperty($0) == nil }
            if !others.isEmpty {
                DAVMultistatus.propstat(names: others, status: HTTPResponse.Status(code: 424, reasonPhrase: "Failed Dependency"), into: &writer)
            }
        } else {
            do {
                try await storage.updateProperties(of: path, changes)
                DAVMultistatus.propstat(names: names, status: .ok, into: &writer)
            } catch let error as DAVError {
                guard case .insufficientStorage = error else { throw error }
                DAVMultistatus.propstat(names: names, status: error.status, into: &writer)
            }
        }
        writer.raw("</D:response>")
        return DAVMultistatus.end(writer)
    }
}
