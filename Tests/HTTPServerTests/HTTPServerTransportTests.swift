import HTTPServer
import HTTPTypes
import Synchronization
import Testing
import Logging

@Suite("Server: addresses and transports")
struct HTTPServerTransportTests {
    static func router() throws -> HTTPRouter {
        var router = HTTPRouter()
        try router.add(.get, "/whoami") { request in
            .text("\(request.remoteAddress) ipv6=\(request.remoteAddress.isIPv6) secure=\(request.isSecure)")
        }
        try router.add(.post, "/echo") { request in
            HTTPServerResponse(status: .ok, body: .bytes(try await request.body.collect(upTo: 1 << 20)))
        }
        return router
    }

    @Test func listensOnIPv6AndReportsClientAddresses() async throws {
        try await withTestServer(router: Self.router(), configure: { $0.host = "::1" }) { _, port in
            let response = try await blocking {
                let client = try TestClient(port: port, host: "::1")
                try client.send("GET /whoami HTTP/1.1\r\nHost: [::1]\r\n\r\n")
                return try client.readResponse()
            }
            #expect(response.text == "::1 ipv6=true secure=false")
        }
    }

    @Test func dualStackWildcardAcceptsIPv4() async throws {
        try await withTestServer(router: Self.router(), configure: { $0.host = "::" }) { _, port in
            let response = try await exchange(port, "GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.text == "127.0.0.1 ipv6=false secure=false")
        }
    }

    @Test func reportsBindFailures() throws {
        var configuration = HTTPServerConfiguration(host: "203.0.113.7", port: 0)
        configuration.eventLoopCount = 1
        let server = HTTPServer(configuration: configuration, responder: try Self.router(), logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        #expect(throws: HTTPServerError.self) { try server.start() }
        #expect(server.localPort == 0)
        var unresolvable = HTTPServerConfiguration(host: "no such host name.invalid", port: 0)
        unresolvable.eventLoopCount = 1
        let other = HTTPServer(configuration: unresolvable, responder: try Self.router(), logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        #expect(throws: HTTPServerError.self) { try other.start() }
    }

    @Test(.timeLimit(.minutes(1))) func waitingOnAServerThatFailedToStartReturns() async throws {
        var configuration = HTTPServerConfiguration(host: "203.0.113.7", port: 0)
        configuration.eventLoopCount = 1
        let server = HTTPServer(configuration: configuration, responder: try Self.router(), logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        #expect(throws: HTTPServerError.self) { try server.start() }
        await server.shutdown(gracePeriod: .milliseconds(10))
        await server.waitUntilStopped()
    }

    @Test func honoursTransportsThatNeedTheOtherDirection() async throws {
        let reads = ReadCounter()
        try await withTestServer(router: Self.router(), configure: { configuration in
            configuration.transportFactory = { fd in DirectionSwappingTransport(fileDescriptor: fd, counter: reads) }
        }) { _, port in
            let responses = try await blocking {
                let client = try TestClient(port: port)
                try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
                let first = try client.readResponse()
                try client.send("GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n")
                return (first, try client.readResponse())
            }
            #expect(responses.0.text == "hello")
            #expect(responses.1.text.hasSuffix("secure=true"))
            #expect(reads.value.load(ordering: .relaxed) >= 2)
        }
    }

    @Test func closesTheSocketWhenTheTransportFactoryFails() async throws {
        try await withTestServer(router: Self.router(), configure: { configuration in
            configuration.transportFactory = { _ in throw HTTPServerError.transport("handshake setup failed") }
        }) { server, port in
            let closed = try await blocking {
                let client = try TestClient(port: port)
                try? client.send("GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n")
                return try client.isClosedByServer()
            }
            #expect(closed)
            #expect(server.metrics.snapshot().connectionsOpen == 0)
        }
    }
}

/// Like a TLS session that consumed socket bytes but must write before it can return them:
/// each read drains the socket, then answers `.wantWrite`; the bytes come out on the next call.
/// A loop that waited for readability instead would never call again (the socket is drained).
final class DirectionSwappingTransport: ConnectionTransport {
    let inner: PlainTransport
    let counter: ReadCounter
    private var held: [UInt8] = []
    var fileDescriptor: Int32 { inner.fileDescriptor }
    var isEncrypted: Bool { true }

    init(fileDescriptor: Int32, counter: ReadCounter) {
        inner = PlainTransport(fileDescriptor: fileDescriptor)
        self.counter = counter
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> TransportResult {
        if !held.isEmpty {
            let count = min(held.count, buffer.count)
            held.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            held.removeFirst(count)
            counter.value.wrappingAdd(1, ordering: .relaxed)
            return .done(count)
        }
        var scratch = [UInt8](repeating: 0, count: 4096)
        let result = scratch.withUnsafeMutableBytes { inner.read(into: $0) }
        guard case .done(let count) = result else { return result }
        held = Array(scratch[0..<count])
        return .wantWrite
    }

    func write(_ buffer: UnsafeRawBufferPointer) -> TransportResult { inner.write(buffer) }
    func shutdown() { inner.shutdown() }
    func close() { inner.close() }
}

/// Counts reads that reached the socket, across connections.
final class ReadCounter: Sendable {
    let value = Atomic<Int>(0)
}
