import Glibc
import HTTPTypes
import Testing

@testable import HTTPServer

@Suite("Client: timeouts")
struct HTTPClientTimeoutTests {
    /// A route that answers only after `release` is set (or after 5 s), so the client's
    /// timeout is the only thing that can end the wait early.
    private static func slowRouter(release: Flag<Bool>) throws -> HTTPRouter {
        var router = HTTPRouter()
        try router.add(.get, "/slow") { _ in
            for _ in 0..<500 where release.current == nil { try await Task.sleep(for: .milliseconds(10)) }
            return .text("finally")
        }
        return router
    }

    @Test func readTimeoutEndsASilentWait() async throws {
        let release = Flag<Bool>()
        try await withTestServer(router: try Self.slowRouter(release: release)) { _, port in
            try await withHTTPClient({ $0.readIdleTimeout = .milliseconds(100) }) { (client) async throws in
                let failure = await clientError { _ = try await client.fetch(.get, "http://127.0.0.1:\(port)/slow") }
                #expect(failure == .readTimeout)
            }
            release.set(true)
        }
    }

    @Test func perRequestTimeoutOverridesTheClientsInBothDirections() async throws {
        let release = Flag<Bool>()
        try await withTestServer(router: try Self.slowRouter(release: release)) { _, port in
            // A long client default, a short request timeout: the request's wins.
            try await withHTTPClient({ $0.readIdleTimeout = .seconds(60) }) { (client) async throws in
                var request = try HTTPClientRequest(method: .get, url: "http://127.0.0.1:\(port)/slow")
                request.readIdleTimeout = .milliseconds(100)
                #expect(await clientError { _ = try await client.execute(request) } == .readTimeout)
            }
            // A short client default, a long-poll request: the answer that comes after the
            // default has passed still arrives.
            try await withHTTPClient({ $0.readIdleTimeout = .milliseconds(100) }) { (client) async throws in
                var request = try HTTPClientRequest(method: .get, url: "http://127.0.0.1:\(port)/slow")
                request.readIdleTimeout = .seconds(60)
                let pending = Task { try await client.execute(request).body.collect(upTo: 100) }
                try await Task.sleep(for: .milliseconds(300))
                release.set(true)
                #expect(try await pending.value == Array("finally".utf8))
            }
        }
    }

    @Test func connectTimeoutWhenTheServerNeverAccepts() async throws {
        let listener = try FullBacklogListener()
        try await withHTTPClient({ $0.connectTimeout = .milliseconds(200) }) { (client) async throws in
            let failure = await clientError { _ = try await client.fetch(.get, "http://127.0.0.1:\(listener.port)/") }
            #expect(failure == .connectTimeout(host: "127.0.0.1", port: listener.port))
        }
    }

    @Test func serverThatNeverFinishesTheHeadTimesOut() async throws {
        let server = try RawTestServer { connection, _ in
            try connection.readHead()
            try connection.send("HTTP/1.1 200 OK\r\nContent-Le")
            _ = connection.readUntilClosed()
        }
        try await withHTTPClient({ $0.readIdleTimeout = .milliseconds(100) }) { (client) async throws in
            #expect(await clientError { _ = try await client.fetch(.get, server.url + "/") } == .readTimeout)
        }
    }

    @Test func stalledBodyTimesOut() async throws {
        let server = try RawTestServer { connection, _ in
            try connection.readHead()
            try connection.send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345")
            _ = connection.readUntilClosed()
        }
        try await withHTTPClient({ $0.readIdleTimeout = .milliseconds(100) }) { (client) async throws in
            let response = try await client.execute(HTTPClientRequest(method: .get, url: server.url + "/"))
            #expect(await clientError { _ = try await response.body.collect(upTo: 100) } == .readTimeout)
        }
    }
}

/// A listening socket whose accept queue is full (backlog 0, one connection never accepted):
/// the kernel drops further SYNs, so a connect to it neither succeeds nor is refused.
final class FullBacklogListener {
    let port: Int
    private let listener: Int32
    private var fillers: [Int32] = []

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(listener, pointer, length) == 0 && listen(listener, 0) == 0 && getsockname(listener, pointer, &length) == 0
            }
        }
        guard listener >= 0, ready else { throw RawTestConnection.Failure(description: "listener setup failed") }
        port = Int(UInt16(bigEndian: address.sin_port))
        // The first filler completes its handshake and fills the queue; the second (non-blocking)
        // makes sure of it.
        for blocking in [true, false] {
            let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | (blocking ? 0 : Int32(SOCK_NONBLOCK.rawValue))
            let fd = socket(AF_INET, type, 0)
            fillers.append(fd)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
    }

    deinit {
        for fd in fillers { Glibc.close(fd) }
        Glibc.close(listener)
    }
}
