import HTTPTypes
import Synchronization
import Testing

@testable import HTTPServer

@Suite("Client: connection pool, keep-alive and retries")
struct HTTPClientPoolTests {
    @Test func concurrentRequestsStayWithinTheHostLimit() async throws {
        let counts = Mutex<(active: Int, peak: Int)>((0, 0))
        var router = HTTPRouter()
        try router.add(.get, "/work") { _ in
            counts.withLock {
                $0.active += 1
                $0.peak = max($0.peak, $0.active)
            }
            try await Task.sleep(for: .milliseconds(5))
            counts.withLock { $0.active -= 1 }
            return .text("done")
        }
        try await withTestServer(router: router) { server, port in
            try await withHTTPClient({ $0.maxConnectionsPerHost = 4 }) { (client) async throws in
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<50 {
                        group.addTask { try await client.fetch(.get, "http://127.0.0.1:\(port)/work").status }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(statuses.count == 50)
                #expect(statuses.allSatisfy { $0 == 200 })
                #expect(counts.withLock { $0.peak } <= 4)
                #expect(server.metrics.snapshot().connectionsAccepted <= 4)
            }
        }
    }

    @Test func idleLimitZeroClosesEveryConnection() async throws {
        try await withTestServer(router: try clientTestRouter()) { server, port in
            try await withHTTPClient({ $0.maxIdleConnections = 0 }) { (client) async throws in
                for _ in 0..<3 { #expect(try await client.fetch(.get, "http://127.0.0.1:\(port)/hello").status == 200) }
                #expect(server.metrics.snapshot().connectionsAccepted == 3)
            }
        }
    }

    @Test func connectionClosedByTheServerWhileIdleIsNotReused() async throws {
        // A server that drops its keep-alive connection right after the first response, as an
        // idle timeout would (no timer here: a starved test machine cannot make it flaky).
        let server = try RawTestServer { connection, number in
            try connection.readHead()
            if number == 1 {
                try connection.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst")
                return
            }
            let body = try connection.readBytes(1)
            try connection.send("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n")
            try connection.send(body)
            _ = connection.readUntilClosed()
        }
        try await withHTTPClient { (client) async throws in
            #expect(try await client.fetch(.get, server.url + "/a").body == Array("first".utf8))
            // Wait until the server's FIN has reached the pooled connection's socket.
            let key = HTTPClientPoolKey(scheme: .http, host: "127.0.0.1", port: server.port, trust: nil)
            for _ in 0..<500 where client.pool.idleConnectionsLookUsable(for: key) {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(!client.pool.idleConnectionsLookUsable(for: key))
            // A POST is never retried: only the liveness check can have kept it off the dead
            // connection.
            #expect(try await client.fetch(.post, server.url + "/b", body: .bytes([7])).body == [7])
            #expect(server.acceptedCount == 2)
        }
    }

    @Test func idempotentRequestIsRetriedOnceWhenAReusedConnectionDies() async throws {
        let server = try RawTestServer { connection, number in
            try connection.readHead()
            if number == 1 {
                try connection.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst")
                // The second request arrives, then the server drops the connection unanswered.
                try connection.readHead()
                return
            }
            try connection.send("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond")
        }
        try await withHTTPClient { (client) async throws in
            #expect(try await client.fetch(.get, server.url + "/a").body == Array("first".utf8))
            #expect(try await client.fetch(.get, server.url + "/b").body == Array("second".utf8))
            #expect(server.acceptedCount == 2)
        }
    }

    @Test func streamIsNeverSentTwice() async throws {
        let server = try RawTestServer { connection, _ in
            try connection.readHead()
            try connection.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst")
            try connection.readHead()
        }
        let calls = Atomic<Int>(0)
        try await withHTTPClient { (client) async throws in
            #expect(try await client.fetch(.get, server.url + "/a").status == 200)
            let failure = await clientError {
                _ = try await client.fetch(.put, server.url + "/b", body: .stream(length: 3) { writer in
                    calls.add(1, ordering: .relaxed)
                    try await writer.write([1, 2, 3])
                })
            }
            #expect(failure == .connectionClosed)
        }
        #expect(calls.load(ordering: .relaxed) == 1)
        // The PUT was not sent again on a new connection.
        #expect(server.acceptedCount == 1)
    }

    @Test func bytesAfterTheBodyDisqualifyTheConnection() async throws {
        let server = try RawTestServer { connection, number in
            try connection.readHead()
            if number == 1 {
                // Two body bytes promised, more sent: the framing cannot be trusted any more.
                try connection.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nforged")
                _ = connection.readUntilClosed()
                return
            }
            try connection.send("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond")
        }
        try await withHTTPClient { (client) async throws in
            #expect(try await client.fetch(.get, server.url + "/a").body == Array("ok".utf8))
            #expect(try await client.fetch(.get, server.url + "/b").body == Array("second".utf8))
            #expect(server.acceptedCount == 2)
        }
    }

    @Test func waitingForASlotCanBeCancelled() async throws {
        try await withTestServer(router: try clientTestRouter()) { _, port in
            try await withHTTPClient({ $0.maxConnectionsPerHost = 1 }) { (client) async throws in
                let url = "http://127.0.0.1:\(port)/sized/100000"
                // The only slot stays taken while this body is unread.
                var holding: HTTPClientResponse? = try await client.execute(HTTPClientRequest(method: .get, url: url))
                let started = Flag<Bool>()
                let waiting = Task { () -> HTTPClientError? in
                    started.set(true)
                    return await clientError { _ = try await client.fetch(.get, url) }
                }
                #expect(try await started.wait() == true)
                // Time to reach the pool's queue (if it has not, cancellation still ends it).
                try await Task.sleep(for: .milliseconds(50))
                waiting.cancel()
                #expect(await waiting.value == .cancelled)
                // Dropping the unread body frees the slot (its connection is closed).
                #expect(holding?.status == .ok)
                holding = nil
                #expect(try await client.fetch(.get, url).body.count == 100_000)
            }
        }
    }

    @Test func shutdownEndsRequestsInFlight() async throws {
        let server = try RawTestServer { connection, _ in
            try connection.readHead()
            _ = connection.readUntilClosed()
        }
        let client = try HTTPClient()
        let connected = Flag<Bool>()
        let pending = Task { () -> HTTPClientError? in
            await clientError {
                var request = try HTTPClientRequest(method: .get, url: server.url + "/")
                request.headerFields[HTTPField.Name("X-Test")!] = "1"
                connected.set(true)
                _ = try await client.execute(request)
            }
        }
        #expect(try await connected.wait() == true)
        // Wait until the request is on the wire (the raw server saw the connection).
        for _ in 0..<500 where server.acceptedCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
        client.shutdown()
        #expect(await pending.value == .shutDown)
    }

    @Test func shutdownFailsLaterRequests() async throws {
        let client = try HTTPClient()
        client.shutdown()
        client.shutdown()
        #expect(await clientError { _ = try await client.fetch(.get, "http://127.0.0.1:1/") } == .shutDown)
    }
}
