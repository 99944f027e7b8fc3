import Foundation
import Glibc
@testable import HTTPServer
import Logging
import Synchronization
import Testing

/// Connections from a loopback address get `HTTPServerConfiguration.loopbackCongestionControl`
/// (Reno by default, so a host default of BBR does not pace loopback flows); others, and a
/// server configured with nil, keep the host's default; a refused algorithm costs nothing but
/// the tuning. The same holds for `HTTPClient`'s connections to a loopback address.
@Suite("Server: congestion control of loopback connections")
struct LoopbackCongestionControlTests {
    /// The remote address `text` (an IPv4 or IPv6 literal) as `accept` would report it.
    static func address(_ text: String) -> HTTPRemoteAddress {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            if text.contains(":") {
                var address = sockaddr_in6()
                address.sin6_family = sa_family_t(AF_INET6)
                #expect(inet_pton(AF_INET6, text, &address.sin6_addr) == 1)
                raw.storeBytes(of: address, as: sockaddr_in6.self)
            } else {
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                #expect(inet_pton(AF_INET, text, &address.sin_addr) == 1)
                raw.storeBytes(of: address, as: sockaddr_in.self)
            }
        }
        return HTTPRemoteAddress(storage)
    }

    @Test func loopbackIsOnly127Slash8AndColonColonOne() {
        for text in ["127.0.0.1", "127.255.10.2", "127.0.0.0", "::1", "::ffff:127.0.0.1"] {
            #expect(Self.address(text).isLoopback, "\(text)")
        }
        for text in ["10.0.0.1", "0.0.0.0", "128.0.0.1", "126.255.255.255", "::", "::2", "fe80::1", "::ffff:10.0.0.1", "1::1"] {
            #expect(!Self.address(text).isLoopback, "\(text)")
        }
    }

    @Test func setsAndReadsBackReno() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        try TCPCongestionControl.set("reno", on: descriptor)
        #expect(try TCPCongestionControl.current(on: descriptor) == "reno")
    }

    /// Unknown algorithms, bad names and descriptors that are no TCP socket are refused with
    /// the system's error, never truncated into another name.
    @Test func refusalsCarryTheSystemError() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let before = try TCPCongestionControl.current(on: descriptor)
        #expect(throws: HTTPServerError.system(call: "setsockopt(TCP_CONGESTION)", code: ENOENT, message: String(cString: strerror(ENOENT)))) {
            try TCPCongestionControl.set("no-such-algo", on: descriptor)
        }
        for name in ["", "reno-but-longer!", "re\u{0}no"] {
            #expect(throws: HTTPServerError.self) { try TCPCongestionControl.set(name, on: descriptor) }
        }
        #expect(try TCPCongestionControl.current(on: descriptor) == before)

        var pipeEnds: [Int32] = [0, 0]
        try #require(pipe(&pipeEnds) == 0)
        defer { close(pipeEnds[0]); close(pipeEnds[1]) }
        #expect(throws: HTTPServerError.system(call: "setsockopt(TCP_CONGESTION)", code: ENOTSOCK, message: String(cString: strerror(ENOTSOCK)))) {
            try TCPCongestionControl.set("reno", on: pipeEnds[0])
        }
        #expect(throws: HTTPServerError.self) { try TCPCongestionControl.current(on: pipeEnds[0]) }
    }

    /// The host's default algorithm for new sockets.
    static var hostDefault: String {
        get throws {
            try String(contentsOfFile: "/proc/sys/net/ipv4/tcp_congestion_control", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// The server's end of `client`'s connection: the server runs in this process, so its
    /// socket is one of the process's descriptors, found by both ends' ports.
    static func serverEnd(of client: TestClient, serverPort: Int) throws -> Int32 {
        func port(_ descriptor: Int32, peer: Bool) -> Int? {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let result = withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    peer ? getpeername(descriptor, $0, &length) : getsockname(descriptor, $0, &length)
                }
            }
            return result == 0 ? HTTPRemoteAddress(storage).port : nil
        }
        let clientPort = try #require(port(client.fd, peer: false))
        let limit = Int32(min(sysconf(Int32(_SC_OPEN_MAX)), 65_536))
        for descriptor in 0..<limit where descriptor != client.fd {
            if port(descriptor, peer: false) == serverPort && port(descriptor, peer: true) == clientPort { return descriptor }
        }
        throw TestClient.Failure(description: "no server socket for client port \(clientPort)")
    }

    /// One GET on a kept-alive connection to `host` (the server listens on every address when
    /// it is not 127.0.0.1), then the algorithm of the server's end of it.
    static func algorithmOfServedConnection(configuredWith algorithm: String?, host: String = "127.0.0.1") async throws -> String {
        var router = HTTPRouter()
        try router.add(.get, "/x") { _ in HTTPServerResponse(status: .ok, body: .bytes(Array("x".utf8))) }
        let result = Flag<String>()
        try await withTestServer(router: router, configure: { configuration in
            configuration.loopbackCongestionControl = algorithm
            if host != "127.0.0.1" { configuration.host = "0.0.0.0" }
        }) { _, port in
            let found = try await blocking {
                let client = try TestClient(port: port, host: host)
                try client.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
                let response = try client.readResponse()
                guard response.status == 200, response.text == "x" else {
                    throw TestClient.Failure(description: "status \(response.status)")
                }
                return try TCPCongestionControl.current(on: try Self.serverEnd(of: client, serverPort: port))
            }
            result.set(found)
        }
        return try #require(result.current)
    }

    @Test func aLoopbackConnectionGetsRenoByDefault() async throws {
        #expect(HTTPServerConfiguration().loopbackCongestionControl == "reno")
        #expect(try await Self.algorithmOfServedConnection(configuredWith: "reno") == "reno")
    }

    @Test func nilKeepsTheHostDefault() async throws {
        #expect(try await Self.algorithmOfServedConnection(configuredWith: nil) == (try Self.hostDefault))
    }

    /// An algorithm the kernel does not know: the connection is served on the host's default.
    @Test func aRefusedAlgorithmStillServes() async throws {
        #expect(try await Self.algorithmOfServedConnection(configuredWith: "no-such-algo") == (try Self.hostDefault))
    }

    /// One GET through an `HTTPClient` configured with `algorithm`, then the algorithm of the
    /// client's end of the kept-alive connection (found among this process's descriptors: the
    /// socket whose peer is the server's port).
    static func algorithmOfClientConnection(configuredWith algorithm: String?, host: String = "127.0.0.1") async throws -> String {
        var router = HTTPRouter()
        try router.add(.get, "/x") { _ in HTTPServerResponse(status: .ok, body: .bytes(Array("x".utf8))) }
        let result = Flag<String>()
        try await withTestServer(router: router, configure: { if host != "127.0.0.1" { $0.host = "0.0.0.0" } }) { _, port in
            try await withHTTPClient({ $0.loopbackCongestionControl = algorithm }) { client in
                let response = try await client.fetch(.get, "http://\(host):\(port)/x")
                #expect(response.status == 200 && response.body == Array("x".utf8))
                let limit = Int32(min(sysconf(Int32(_SC_OPEN_MAX)), 65_536))
                for descriptor in 0..<limit {
                    var storage = sockaddr_storage()
                    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                    let named = withUnsafeMutablePointer(to: &storage) { pointer in
                        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(descriptor, $0, &length) }
                    }
                    if named == 0 && HTTPRemoteAddress(storage).port == port {
                        result.set(try TCPCongestionControl.current(on: descriptor))
                        break
                    }
                }
            }
        }
        return try #require(result.current, "no client socket connected to the server's port")
    }

    @Test func aClientConnectionToLoopbackGetsRenoByDefault() async throws {
        #expect(HTTPClientConfiguration().loopbackCongestionControl == "reno")
        #expect(try await Self.algorithmOfClientConnection(configuredWith: "reno") == "reno")
    }

    /// nil, and an algorithm the kernel refuses, leave the client's connection on the host's
    /// default, and the request is served.
    @Test func aClientWithNilOrARefusedAlgorithmKeepsTheHostDefault() async throws {
        #expect(try await Self.algorithmOfClientConnection(configuredWith: nil) == (try Self.hostDefault))
        #expect(try await Self.algorithmOfClientConnection(configuredWith: "no-such-algo") == (try Self.hostDefault))
    }

    /// An IPv4 address of this host's own that is not loopback (getifaddrs(3)), if it has one.
    static let ownAddress: String? = {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var entry = list
        while let current = entry {
            defer { entry = current.pointee.ifa_next }
            guard let address = current.pointee.ifa_addr, Int32(address.pointee.sa_family) == AF_INET,
                current.pointee.ifa_flags & UInt32(IFF_UP) != 0
            else { continue }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            var ipv4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            guard inet_ntop(AF_INET, &ipv4, &text, socklen_t(text.count)) != nil else { continue }
            let found = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !found.hasPrefix("127.") { return found }
        }
        return nil
    }()

    /// A connection to one of the host's own addresses runs over the loopback interface too:
    /// both ends get Reno, the server's and `HTTPClient`'s.
    @Test(.enabled(if: ownAddress != nil, "needs a non-loopback IPv4 address"))
    func aConnectionToTheHostsOwnAddressCountsAsLocal() async throws {
        let own = try #require(Self.ownAddress)
        #expect(try await Self.algorithmOfServedConnection(configuredWith: "reno", host: own) == "reno")
        #expect(try await Self.algorithmOfClientConnection(configuredWith: "reno", host: own) == "reno")
        #expect(try await Self.algorithmOfServedConnection(configuredWith: nil, host: own) == (try Self.hostDefault))
    }

    @Test func theOwnEndOfASocketDecidesWhetherAPeerIsOnThisHost() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(listener >= 0)
        defer { close(listener) }
        // Not connected: its own end is 0.0.0.0, no peer address equals it.
        #expect(!Self.address("192.0.2.7").isOnThisHost(connectedOn: listener))
        #expect(Self.address("127.0.0.1").isOnThisHost(connectedOn: listener))
        var pipeEnds: [Int32] = [0, 0]
        try #require(pipe(&pipeEnds) == 0)
        defer { close(pipeEnds[0]); close(pipeEnds[1]) }
        #expect(!Self.address("192.0.2.7").isOnThisHost(connectedOn: pipeEnds[0]))
        #expect(Self.address("10.1.2.3").hasSameIP(as: Self.address("::ffff:10.1.2.3")))
        #expect(!Self.address("10.1.2.3").hasSameIP(as: Self.address("10.1.2.4")))
    }

    /// Only loopback peers are tuned; a refused algorithm is warned about once, with the
    /// system's error, and not asked for again.
    @Test func onlyLoopbackIsTunedAndARefusalIsWarnedOnce() throws {
        let records = WarningRecorder()
        var configuration = HTTPServerConfiguration()
        configuration.loopbackCongestionControl = "reno"
        let logger = Logger(label: "test", factory: { _ in records })
        let context = ServerContext(configuration: configuration, responder: HTTPRouter(), logger: logger)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let host = try Self.hostDefault
        context.tuneAcceptedSocket(descriptor, from: Self.address("192.0.2.7"))
        #expect(try TCPCongestionControl.current(on: descriptor) == host)
        context.tuneAcceptedSocket(descriptor, from: Self.address("127.0.0.1"))
        #expect(try TCPCongestionControl.current(on: descriptor) == "reno")
        #expect(records.messages.isEmpty)

        configuration.loopbackCongestionControl = "no-such-algo"
        let refusing = ServerContext(configuration: configuration, responder: HTTPRouter(), logger: logger)
        for _ in 0..<3 { refusing.tuneAcceptedSocket(descriptor, from: Self.address("::1")) }
        #expect(records.messages == ["loopback connections keep the host's congestion control"])
        #expect(records.errors.first?.contains(String(cString: strerror(ENOENT))) == true)
        #expect(try TCPCongestionControl.current(on: descriptor) == "reno")
    }
}

/// Keeps the warnings logged through it.
private struct WarningRecorder: LogHandler {
    private let store = Store()
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        guard event.level == .warning else { return }
        store.records.withLock { $0.append((event.message.description, event.metadata?["error"]?.description ?? "")) }
    }

    var messages: [String] { store.records.withLock { $0.map(\.message) } }
    var errors: [String] { store.records.withLock { $0.map(\.error) } }

    private final class Store: Sendable {
        let records = Mutex<[(message: String, error: String)]>([])
    }
}
