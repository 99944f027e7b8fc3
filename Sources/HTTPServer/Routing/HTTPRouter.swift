import HTTPTypes

/// Routes requests by method and path pattern (`/v1/vaults/{vault}/blobs/{id}`) to handlers.
///
/// Unknown paths answer 404; a known path with another method answers 405 with `Allow`
/// (RFC 9110 §15.5.6). HEAD is served by the GET route when no HEAD route exists
/// (RFC 9110 §9.3.2). Routes are tried in the order they were added.
public struct HTTPRouter: HTTPResponder {
    private struct Route: Sendable {
        let method: HTTPRequest.Method
        let pattern: HTTPRoutePattern
        let handler: HTTPHandler
    }

    private var routes: [Route] = [] {
        didSet { candidates = RouteCandidates(routes.map(\.pattern)) }
    }
    /// Which routes can match a path of each segment count, so a request tries only those.
    private var candidates = RouteCandidates([])

    /// The lean fast lane tried before routing (`HTTPFastLane`); what it declines is routed.
    public var fastLane: (any HTTPFastLane)?

    /// A router without routes (every request answers 404).
    public init() {}

    /// Adds a route whose handler runs as a task. Throws for an invalid pattern.
    public mutating func add(
        _ method: HTTPRequest.Method, _ pattern: String, maxBodyBytes: Int64? = nil,
        _ handler: @escaping @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse
    ) throws(HTTPServerError) {
        routes.append(Route(method: method, pattern: try HTTPRoutePattern(pattern), handler: HTTPHandler(maxBodyBytes: maxBodyBytes, task: handler)))
    }

    /// Adds a route with a fast lane: `attempt` runs on the event loop thread and answers what
    /// it can from memory; when it returns nil, `handler` runs as a task (see
    /// `HTTPHandler.Execution.attemptInline`).
    public mutating func add(
        _ method: HTTPRequest.Method, _ pattern: String, maxBodyBytes: Int64? = nil,
        attempt: @escaping @Sendable (HTTPServerRequest) -> HTTPServerResponse?,
        otherwise handler: @escaping @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse
    ) throws(HTTPServerError) {
        let handler = HTTPHandler(maxBodyBytes: maxBodyBytes, attempt: attempt, otherwise: handler)
        routes.append(Route(method: method, pattern: try HTTPRoutePattern(pattern), handler: handler))
    }

    /// Adds a route whose handler runs on the event loop thread: for cheap, non-blocking
    /// answers only (see `HTTPHandler.Execution.inline`).
    public mutating func addInline(
        _ method: HTTPRequest.Method, _ pattern: String, maxBodyBytes: Int64? = nil,
        _ handler: @escaping @Sendable (HTTPServerRequest) throws -> HTTPServerResponse
    ) throws(HTTPServerError) {
        routes.append(Route(method: method, pattern: try HTTPRoutePattern(pattern), handler: HTTPHandler(maxBodyBytes: maxBodyBytes, inline: handler)))
    }

    /// The handler of the first route matching method and path; otherwise an inline handler
    /// answering 404, 405 with Allow, or 400 for a path parameter that does not decode.
    ///
    /// Routes are compared by shape first (`HTTPRoutePattern.matches`, no allocation); only the
    /// chosen route's parameters are percent-decoded into strings.
    public func handler(for request: inout HTTPServerRequest) -> HTTPHandler {
        let segments = Self.segments(of: request.path)
        var allowed: [HTTPRequest.Method] = []
        var firstShapeMatch: Route?
        var headFallback: Route?
        // By index, so that routes that do not match are not copied (retained) at all; only
        // the routes whose segment count fits, in the order they were added.
        for index in candidates.routeIndices(forSegmentCount: segments.count) where routes[index].pattern.matches(segments) {
            let route = routes[index]
            if route.method == request.method { return chosen(route, segments, &request) }
            if firstShapeMatch == nil { firstShapeMatch = route }
            if route.method == .get && request.method == .head && headFallback == nil { headFallback = route }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        if let headFallback { return chosen(headFallback, segments, &request) }
        guard let firstShapeMatch else {
            return HTTPHandler(inline: { _ in .text("404 Not Found\n", status: .notFound) })
        }
        // A path whose parameters do not decode is a bad request whatever the method.
        do throws(HTTPServerError) {
            _ = try firstShapeMatch.pattern.parameters(segments)
        } catch {
            return HTTPHandler(inline: { _ in throw error })
        }
        // RFC 9110 §15.5.6: a 405 response MUST carry Allow with the supported methods.
        if allowed.contains(.get) && !allowed.contains(.head) { allowed.append(.head) }
        let allow = allowed.map(\.rawValue).joined(separator: ", ")
        return HTTPHandler(inline: { _ in
            var response = HTTPServerResponse.text("405 Method Not Allowed\n", status: .methodNotAllowed)
            response.headerFields[.allow] = allow
            return response
        })
    }

    /// The segments of an origin-form path after its leading `/` (empty ones kept); none for a
    /// path that does not start with `/`. Split on the byte `/` of the UTF-8 view: splitting
    /// the `String` by `Character` runs grapheme breaking on every byte and cost half the
    /// router's time. A `/` byte is always a character boundary, so the slices are valid.
    static func segments(of path: String) -> [Substring] {
        let utf8 = path.utf8
        guard utf8.first == UInt8(ascii: "/") else { return [] }
        // Over the contiguous bytes (`withUTF8`): generic indexing of the UTF-8 view was most
        // of this function's time. Then one array of the right size.
        var text = path
        return text.withUTF8 { bytes in
            var count = 0
            for byte in bytes where byte == UInt8(ascii: "/") { count += 1 }
            var segments: [Substring] = []
            segments.reserveCapacity(count)
            var start = 1
            for offset in 1...bytes.count where offset == bytes.count || bytes[offset] == UInt8(ascii: "/") {
                segments.append(path[utf8.index(utf8.startIndex, offsetBy: start)..<utf8.index(utf8.startIndex, offsetBy: offset)])
                start = offset + 1
            }
            return segments
        }
    }

    /// Records `route`'s parameters and pattern in `request` and returns its handler, or a
    /// handler answering 400 when a parameter does not decode.
    private func chosen(_ route: Route, _ segments: [Substring], _ request: inout HTTPServerRequest) -> HTTPHandler {
        do throws(HTTPServerError) {
            request.pathParameters = try route.pattern.parameters(segments)
        } catch {
            return HTTPHandler(inline: { _ in throw error })
        }
        request.routePattern = route.pattern.text
        return route.handler
    }

    /// Resolves and runs the handler for `request` (for use outside the server, e.g. tests).
    public func respond(to request: HTTPServerRequest) async throws -> HTTPServerResponse {
        var request = request
        let handler = handler(for: &request)
        switch handler.execution {
        case .task(let respond): return try await respond(request)
        case .inline(let respond): return try respond(request)
        case .attemptInline(let attempt, let otherwise):
            if let response = attempt(request) { return response }
            return try await otherwise(request)
        }
    }
}
