import CoffreClient
import Foundation
import Glibc
import HTTPServer
import HTTPTypes

/// Calls a `DAVServer` in-process (no socket) and collects the answer, errors included, the
/// way the HTTP server would turn them into responses.
struct WebDAVTestClient {
    struct Reply {
        var status: Int
        var headers: HTTPFields
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }
    }

    let server: DAVServer
    var host = "dav.test"

    init(storage: any DAVStorage = MemoryDAVStorage(), configuration: DAVServerConfiguration = DAVServerConfiguration(), locks: DAVLockManager = DAVLockManager()) {
        server = DAVServer(storage: storage, configuration: configuration, locks: locks)
    }

    @discardableResult
    func send(_ method: String, _ target: String, _ headers: [String: String] = [:], body: String? = nil) async throws -> Reply {
        try await send(method, target, headers, bytes: body.map { Array($0.utf8) } ?? [])
    }

    @discardableResult
    func send(_ method: String, _ target: String, _ headers: [String: String] = [:], bytes: [UInt8]) async throws -> Reply {
        var fields = HTTPFields()
        fields[HTTPField.Name("Host")!] = host
        for (name, value) in headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        let request = try HTTPServerRequest(
            method: HTTPRequest.Method(method)!, target: target, headerFields: fields, body: bytes.isEmpty ? .empty : .bytes(bytes))
        do {
            let response = try await server.respond(to: request)
            return Reply(status: response.status.code, headers: response.headerFields, body: try Self.collect(response.body))
        } catch let error as any HTTPResponseError {
            return Reply(status: error.status.code, headers: error.headerFields, body: error.body)
        } catch let error as HTTPServerError {
            return Reply(status: error.statusCode ?? 500, headers: [:], body: Array(error.description.utf8))
        }
    }

    static func collect(_ body: HTTPResponseBody) throws -> [UInt8] {
        switch body {
        case .empty: return []
        case .bytes(let bytes): return bytes
        case .file(let region):
            var bytes = [UInt8](repeating: 0, count: Int(region.length))
            let count = bytes.withUnsafeMutableBytes { pread(region.descriptor, $0.baseAddress, $0.count, off_t(region.offset)) }
            region.close()
            guard count == bytes.count else { throw CocoaError(.fileReadUnknown) }
            return bytes
        case .stream: return []
        }
    }

    /// `<?xml…?><D:propfind xmlns:D="DAV:"><D:prop>…</D:prop></D:propfind>` for `properties`
    /// given as raw XML elements.
    static func propfind(_ properties: String) -> String {
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><D:propfind xmlns:D=\"DAV:\"><D:prop>\(properties)</D:prop></D:propfind>"
    }

    static let exclusiveLock =
        "<?xml version=\"1.0\"?><D:lockinfo xmlns:D=\"DAV:\"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>tester</D:owner></D:lockinfo>"
    static let sharedLock =
        "<?xml version=\"1.0\"?><D:lockinfo xmlns:D=\"DAV:\"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>"

    /// Takes a lock and returns its token (without angle brackets).
    func lock(_ target: String, shared: Bool = false, depth: String = "infinity") async throws -> String {
        let reply = try await send("LOCK", target, ["Depth": depth, "Timeout": "Second-600"], body: shared ? Self.sharedLock : Self.exclusiveLock)
        guard (200...201).contains(reply.status), let token = reply.header("Lock-Token") else {
            throw CocoaError(.featureUnsupported, userInfo: ["status": reply.status])
        }
        return String(token.dropFirst().dropLast())
    }
}
