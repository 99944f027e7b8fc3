import Glibc
import HTTPServer
import HTTPTypes
import Logging
import Synchronization
import Testing

@testable import HTTPServer

@Suite("Server: request bodies, 100-continue, back-pressure, shutdown")
struct HTTPServerBodyTests {
    /// What a handler reading the body with `read` saw when the client announced
    /// `announced` bytes, sent `sent` and left: "complete" or the error's description.
    static func outcomeWhenClientLeaves(
        announced: Int, sent: Int, read: @escaping @Sendable (HTTPRequestBody) async throws -> Void
    ) async throws -> String? {
        let seen = Flag<String>()
        var router = HTTPRouter()
        try router.add(.put, "/upload", maxBodyBytes: 16 << 20) { request in
            do {
                try await read(request.body)
                seen.set("complete")
            } catch let error as HTTPServerError {
                seen.set("\(error)")
            }
            return .text("done")
        }
        try await withTestServer(router: router) { _, port in
            try await blocking {
                let client = try TestClient(port: port)
                try client.send("PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: \(announced)\r\n\r\n")
                try client.send([UInt8](repeating: 0x61, count: sent))
            }
            _ = try await seen.wait()
        }
        return seen.current
    }

    @Test func handlerSeesTruncationWhenClientLeavesMidBody() async throws {
        let outcome = try await Self.outcomeWhenClientLeaves(announced: 100_000, sent: 5000) { body in
            _ = try await body.collect(upTo: 1 << 20)
        }
        #expect(outcome == HTTPServerError.bodyTruncated.description)
    }

    @Test func continueIsSentOnlyWhenTheHandlerReads() async throws {
        var router = HTTPRouter()
        try router.add(.put, "/read") { request in
            let body = try await request.body.collect(upTo: 100)
            return .text("got \(body.count)")
        }
        try router.add(.put, "/refuse") { _ in .text("no", status: .forbidden) }
        try await withTestServer(router: router) { _, port in
            let read = try await blocking {
                let client = try TestClient(port: port)
                try client.send("PUT /read HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
                // A conforming client waits for 100 before sending the body.
                let interim = try client.readInterim()
                try client.send("hello")
                return (interim, try client.readResponse())
            }
            #expect(read.0 == 100)
            #expect(read.1.text == "got 5")
            let refused = try await blocking {
                let client = try TestClient(port: port)
                try client.send("PUT /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
                return (try client.readResponse(), try client.isClosedByServer())
            }
            #expect(refused.0.interim.isEmpty)
            #expect(refused.0.status == 403)
            #expect(refused.0.header("Connection") == "close")
            #expect(refused.1)
        }
    }

    @Test func slowConsumerKeepsTheServerBufferBounded() async throws {
        let total = 8 << 20
        let result = Flag<Int>()
        let paused = Flag<Bool>()
        let bufferLimit = 64 * 1024
        var router = HTTPRouter()
        // The metrics object is only known once the server exists; the handler reads it there.
        let metricsBox = Mutex<HTTPServerMetrics?>(nil)
        try router.add(.put, "/slow", maxBodyBytes: Int64(total)) { request in
            var received = 0
            var iterator = request.body.makeAsyncIterator()
            if let first = try await iterator.next() { received += first.count }
            // Stop reading until the loop reports it stopped reading the socket.
            let metrics = try #require(metricsBox.withLock { $0 })
            for _ in 0..<1000 where metrics.requestBodyReadPauses.load(ordering: .relaxed) == 0 {
                try await Task.sleep(for: .milliseconds(10))
            }
            paused.set(metrics.requestBodyReadPauses.load(ordering: .relaxed) > 0)
            while let chunk = try await iterator.next() { received += chunk.count }
            result.set(received)
            return .text("\(received)")
        }
        try await withTestServer(router: router, configure: { $0.limits.requestBodyBufferBytes = bufferLimit }) { server, port in
            metricsBox.withLock { $0 = server.metrics }
            let response = try await blocking {
                let client = try TestClient(port: port)
                try client.send("PUT /slow HTTP/1.1\r\nHost: x\r\nContent-Length: \(total)\r\n\r\n")
                let block = [UInt8](repeating: 0x5A, count: 1 << 20)
                for _ in 0..<(total >> 20) { try client.send(block) }
                return try client.readResponse()
            }
            #expect(response.text == "\(total)")
            #expect(try await result.wait() == total)
            #expect(paused.current == true)
            // Buffered bytes stay under the high-water mark plus one socket read.
            let peak = server.metrics.peakBufferedRequestBodyBytes.load(ordering: .relaxed)
            #expect(peak <= bufferLimit + EventLoop.readBufferSize)
        }
    }

    @Test func shutdownLetsInFlightRequestsFinish() async throws {
        let started = Flag<Bool>()
        let release = Flag<Bool>()
        var router = HTTPRouter()
        try router.add(.get, "/wait") { _ in
            started.set(true)
            _ = try await release.wait()
            return .text("finished")
        }
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.eventLoopCount = 1
        let server = HTTPServer(configuration: configuration, responder: router, logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try server.start()
        let port = server.localPort
        async let response = blocking {
            let client = try TestClient(port: port)
            try client.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
            return try client.readResponse()
        }
        #expect(try await started.wait() == true)
        async let stopped: Void = server.shutdown(gracePeriod: .seconds(10))
        try await Task.sleep(for: .milliseconds(50))
        release.set(true)
        let answer = try await response
        await stopped
        #expect(answer.text == "finished")
        #expect(answer.header("Connection") == "close")
        await #expect(throws: (any Error).self) {
            try await blocking { _ = try TestClient(port: port) }
        }
    }

    @Test func shutdownClosesStuckConnectionsAfterTheGracePeriod() async throws {
        // The handler answers only once the test has read the connection to its end, however
        // long the test's own task waits for a thread (a fixed sleep here once let the answer
        // out before a starved test even began the shutdown).
        let release = Flag<Bool>()
        defer { release.set(true) }
        var router = HTTPRouter()
        try router.add(.get, "/forever") { _ in
            while release.current == nil { try await Task.sleep(for: .milliseconds(20)) }
            return .text("late")
        }
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.eventLoopCount = 1
        let server = HTTPServer(configuration: configuration, responder: router, logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try server.start()
        let port = server.localPort
        let client = try await blocking {
            let client = try TestClient(port: port)
            try client.send("GET /forever HTTP/1.1\r\nHost: x\r\n\r\n")
            return LoopBoundClient(client: client)
        }
        await server.shutdown(gracePeriod: .milliseconds(100))
        // The server closes the connection (EOF ends the read) without the handler's answer;
        // on a slow machine it may not have read the request before the shutdown began, and
        // then refuses it, which is fine too.
        let rest = try await blocking { try client.client.readToEnd() }
        #expect(!String(decoding: rest, as: UTF8.self).contains("late"))
    }
}

/// Carries a client between the blocking threads of one test.
struct LoopBoundClient: @unchecked Sendable {
    // Safety: used by one blocking thread at a time, in sequence.
    let client: TestClient
}

extension TestClient {
    /// Reads one interim (1xx) response head and returns its status.
    func readInterim() throws -> Int {
        var line = [UInt8]()
        var head = ""
        while !head.hasSuffix("\r\n\r\n") {
            var byte: UInt8 = 0
            guard Glibc.recv(fd, &byte, 1, 0) == 1 else { throw Failure(description: "closed before interim response") }
            line.append(byte)
            head = String(decoding: line, as: UTF8.self)
        }
        return Int(head.split(separator: " ")[1]) ?? 0
    }
}
