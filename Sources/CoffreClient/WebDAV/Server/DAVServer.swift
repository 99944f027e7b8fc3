import HTTPServer
import HTTPTypes

/// A WebDAV server, class 1 and 2 (RFC 4918), over any `DAVStorage`: an `HTTPResponder` for
/// `HTTPServer`. It parses and checks requests (paths, headers, XML bodies, locks, `If`),
/// asks the storage, and renders the answers (207 multistatus included). Locks live in memory
/// in `locks`.
public final class DAVServer: HTTPResponder {
    /// The methods served, for `Allow` (RFC 9110 §10.2.1) and OPTIONS.
    public static let allowedMethods = "OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, COPY, MOVE, PROPFIND, PROPPATCH, LOCK, UNLOCK"

    static let propfind = HTTPRequest.Method("PROPFIND")!
    static let proppatch = HTTPRequest.Method("PROPPATCH")!
    static let mkcol = HTTPRequest.Method("MKCOL")!
    static let copy = HTTPRequest.Method("COPY")!
    static let move = HTTPRequest.Method("MOVE")!
    static let lock = HTTPRequest.Method("LOCK")!
    static let unlock = HTTPRequest.Method("UNLOCK")!

    /// Where resources are kept.
    public let storage: any DAVStorage
    /// The server's locks.
    public let locks: DAVLockManager
    /// The settings.
    public let configuration: DAVServerConfiguration

    /// A server over `storage`.
    public init(storage: any DAVStorage, configuration: DAVServerConfiguration = DAVServerConfiguration(), locks: DAVLockManager = DAVLockManager()) {
        self.storage = storage
        self.configuration = configuration
        self.locks = locks
    }

    /// Every request runs as a task; PUT may stream up to `maximumResourceBytes`, every other
    /// method's body (XML) is limited to `maximumXMLBytes` (413 beyond).
    public func handler(for request: inout HTTPServerRequest) -> HTTPHandler {
        request.routePattern = "/{dav...}"
        let limit = request.method == .put ? configuration.maximumResourceBytes : Int64(configuration.maximumXMLBytes)
        return HTTPHandler(maxBodyBytes: limit, task: { [self] request in try await self.respond(to: request) })
    }

    /// Answers one request; errors become their `DAVError` status.
    public func respond(to request: HTTPServerRequest) async throws -> HTTPServerResponse {
        if let credentials = configuration.credentials, !credentials.accepts(authorization: request.headerFields[.authorization]) {
            throw DAVError.unauthorized(realm: credentials.realm)
        }
        if request.method == .options { return options() }
        let path = try DAVPath(percentEncoded: request.path)
        switch request.method {
        case .get, .head: return try await get(request, path)
        case .put: return try await put(request, path)
        case .delete: return try await delete(request, path)
        case Self.mkcol: return try await makeCollection(request, path)
        case Self.copy, Self.move: return try await copyOrMove(request, path, isMove: request.method == Self.move)
        case Self.propfind: return try await propfind(request, path)
        case Self.proppatch: return try await proppatch(request, path)
        case Self.lock: return try await lock(request, path)
        case Self.unlock: return try await unlock(request, path)
        default:
            // RFC 9110 §15.5.6: 405 with the methods the resource supports.
            var fields = HTTPFields()
            fields[.allow] = Self.allowedMethods
            return HTTPServerResponse(status: .methodNotAllowed, headerFields: fields)
        }
    }

    /// RFC 4918 §10.1, §18: `DAV: 1, 2` announces class 1 and 2 compliance.
    func options() -> HTTPServerResponse {
        var fields = HTTPFields()
        fields[HTTPField.Name("DAV")!] = "1, 2"
        fields[.allow] = Self.allowedMethods
        fields[HTTPField.Name("MS-Author-Via")!] = "DAV"
        return HTTPServerResponse(status: .ok, headerFields: fields)
    }

    /// The resource at `path`, or `.notFound`.
    func existing(_ path: DAVPath, withProperties: Bool = false) async throws -> DAVResourceInfo {
        guard let info = try await storage.info(at: path, withProperties: withProperties) else { throw DAVError.notFound }
        return info
    }
}
