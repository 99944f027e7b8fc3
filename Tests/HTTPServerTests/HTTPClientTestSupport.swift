import Foundation
import Glibc
import HTTPTypes
import Synchronization

@testable import HTTPServer

/// A scripted HTTP "server" on a raw blocking socket (127.0.0.1, port 0), for responses our
/// own server would never send. Each accepted connection runs `script` on its own thread with
/// the connection's number (1, 2, ...); every read has a timeout, so a test never hangs.
final class RawTestServer: Sendable {
    /// Counts accepted connections; shared with the accepting thread.
    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    let port: Int
    private let counter = Counter()
    private let descriptor: Int32

    /// Connections accepted so far.
    var acceptedCount: Int { counter.value.load(ordering: .relaxed) }

    init(backlog: Int32 = 16, script: @escaping @Sendable (RawTestConnection, Int) throws -> Void) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RawTestConnection.Failure(description: "socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, backlog) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else {
            Glibc.close(fd)
            throw RawTestConnection.Failure(description: "bind/listen failed")
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let counter = self.counter
        let thread = Thread {
            while true {
                let client = Glibc.accept(fd, nil, nil)
                guard client >= 0 else {
                    // EINVAL: `stop()` shut the listener down (accept(2) on a socket that is no
                    // longer listening); only then does this thread close it, so the number is
                    // never shut down or closed after another thread reused it.
                    if errno == EINVAL {
                        Glibc.close(fd)
                        return
                    }
                    usleep(10_000)  // EINTR, ECONNABORTED, EMFILE: try again
                    continue
                }
                let number = counter.value.add(1, ordering: .relaxed).newValue
                let handler = Thread {
                    let connection = RawTestConnection(descriptor: client)
                    try? script(connection, number)
                    connection.close()
                }
                handler.start()
            }
        }
        thread.start()
    }

    deinit { stop() }

    /// Stops accepting: shutdown(2) wakes the blocked accept, whose thread then closes the
    /// listener. Called once, from deinit.
    private func stop() {
        Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
    }

    var url: String { "http://127.0.0.1:\(port)" }
}

/// One accepted connection of a `RawTestServer`.
final class RawTestConnection: @unchecked Sendable {
    // @unchecked Sendable: used only by the thread that runs its script.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let descriptor: Int32
    private var buffer: [UInt8] = []
    private var closed = false

    init(descriptor: Int32) {
        self.descriptor = descriptor
        var timeout = timeval(tv_sec: 120, tv_usec: 0)  // only guards against hangs: a loaded machine can delay a client by seconds
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Reads one request head (through CRLF CRLF) and returns it as text.
    @discardableResult
    func readHead() throws -> String {
        while true {
            if let end = buffer.indices.dropLast(3).first(where: {
                buffer[$0] == 13 && buffer[$0 + 1] == 10 && buffer[$0 + 2] == 13 && buffer[$0 + 3] == 10
            }) {
                let head = String(decoding: buffer[0..<(end + 4)], as: UTF8.self)
                buffer.removeFirst(end + 4)
                return head
            }
            try fill()
        }
    }

    /// Reads exactly `count` body bytes.
    func readBytes(_ count: Int) throws -> [UInt8] {
        while buffer.count < count { try fill() }
        defer { buffer.removeFirst(count) }
        return Array(buffer[0..<count])
    }

    /// Waits until the peer closes; returns the bytes that came first.
    func readUntilClosed() -> [UInt8] {
        while (try? fill()) != nil {}
        return buffer
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw Failure(description: "send failed") }
            offset += count
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(descriptor)
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { Glibc.recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { throw Failure(description: "connection closed or timed out") }
        buffer.append(contentsOf: chunk[0..<count])
    }
}

/// A client with the default configuration for one test, shut down afterwards.
func withHTTPClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
    try await withHTTPClient({ _ in }, body)
}

/// A client for one test, shut down afterwards.
func withHTTPClient<T>(
    _ configure: (inout HTTPClientConfiguration) -> Void, _ body: (HTTPClient) async throws -> T
) async throws -> T {
    var configuration = HTTPClientConfiguration()
    // Generous defaults: the full test run saturates both cores for tens of seconds, and these
    // timeouts only guard against hangs (tests of the timeouts themselves set short ones).
    configuration.connectTimeout = .seconds(600)
    configuration.readIdleTimeout = .seconds(600)
    configuration.writeIdleTimeout = .seconds(600)
    configure(&configuration)
    let client = try HTTPClient(configuration: configuration)
    defer { client.shutdown() }
    return try await body(client)
}

extension HTTPClient {
    /// Executes a request to `url` and collects the body (up to 64 MiB).
    func fetch(
        _ method: HTTPRequest.Method, _ url: String, body: HTTPClientRequestBody = .none, fields: HTTPFields = [:]
    ) async throws -> (status: Int, body: [UInt8], fields: HTTPFields) {
        let response = try await execute(HTTPClientRequest(method: method, url: url, headerFields: fields, body: body))
        return (response.status.code, try await response.body.collect(upTo: 64 << 20), response.headerFields)
    }
}

/// Runs `body` and returns the `HTTPClientError` it threw (nil if it threw nothing, or
/// another error).
func clientError(_ body: () async throws -> Void) async -> HTTPClientError? {
    do {
        try await body()
        return nil
    } catch {
        return error as? HTTPClientError
    }
}

/// A producer that writes `bytes` in runs of `runSize` (odd sizes exercise framing).
func producer(of bytes: [UInt8], runSize: Int) -> @Sendable (HTTPClientBodyWriter) async throws -> Void {
    { writer in
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + runSize)
            try await writer.write(Array(bytes[offset..<end]))
            offset = end
        }
    }
}

/// Routes the client tests talk to:
/// - `GET /hello`: "hello"; `GET /sized/{n}`: n deterministic bytes with a Content-Length;
/// - `GET /stream/{n}/{run}`: the same bytes streamed chunked, `run` bytes per write;
/// - `POST|PUT /echo`: the request body back (up to 64 MiB);
/// - `GET /no-content` (204), `GET /not-modified` (304).
func clientTestRouter() throws -> HTTPRouter {
    var router = HTTPRouter()
    try router.add(.get, "/hello") { _ in .text("hello") }
    try router.add(.get, "/sized/{n}") { request in
        let count = Int(request.pathParameters["n"] ?? "") ?? 0
        return HTTPServerResponse(status: .ok, body: .bytes(TLSTestBytes.make(count: count, seed: 7)))
    }
    try router.add(.get, "/stream/{n}/{run}") { request in
        let count = Int(request.pathParameters["n"] ?? "") ?? 0
        let run = max(1, Int(request.pathParameters["run"] ?? "") ?? 1)
        let bytes = TLSTestBytes.make(count: count, seed: 7)
        return HTTPServerResponse(status: .ok, body: .stream(length: nil) { writer in
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + run)
                try await writer.write(Array(bytes[offset..<end]))
                offset = end
            }
        })
    }
    for method in [HTTPRequest.Method.post, .put] {
        try router.add(method, "/echo", maxBodyBytes: 64 << 20) { request in
            HTTPServerResponse(status: .ok, body: .bytes(try await request.body.collect(upTo: 64 << 20)))
        }
    }
    try router.add(.get, "/no-content") { _ in HTTPServerResponse(status: .noContent) }
    try router.add(.get, "/not-modified") { _ in
        HTTPServerResponse(status: .notModified, headerFields: [.eTag: "\"v1\""])
    }
    return router
}

/// A TCP port on 127.0.0.1 bound but not listening: connections to it are refused.
final class ReservedPort {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard descriptor >= 0, bound else { throw RawTestConnection.Failure(description: "cannot reserve a port") }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { Glibc.close(descriptor) }
}
