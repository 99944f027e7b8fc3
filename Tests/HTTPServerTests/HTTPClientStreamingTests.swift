import HTTPTypes
import Synchronization
import Testing

@testable import HTTPServer

@Suite("Client: back-pressure, 100-continue, early answers, cancellation")
struct HTTPClientStreamingTests {
    @Test func responseBodyIsReadOnlyOnDemand() async throws {
        let total = 32 << 20
        let written = Atomic<Int>(0)
        var router = HTTPRouter()
        try router.add(.get, "/flood") { _ in
            HTTPServerResponse(status: .ok, body: .stream(length: Int64(total)) { writer in
                let block = [UInt8](repeating: 0x5A, count: 256 * 1024)
                for _ in 0..<(total / block.count) {
                    try await writer.write(block)
                    written.add(block.count, ordering: .relaxed)
                }
            })
        }
        try await withTestServer(router: router) { _, port in
            try await withHTTPClient { (client) async throws in
                let response = try await client.execute(HTTPClientRequest(method: .get, url: "http://127.0.0.1:\(port)/flood"))
                var iterator = response.body.makeAsyncIterator()
                var consumed = try #require(try await iterator.next()).count
                let connection = response.body.reader.connection
                let receivedAfterFirstChunk = connection.bytesReceived.load(ordering: .relaxed)
                // Give the server every chance to push more; the client must not read it.
                try await Task.sleep(for: .milliseconds(300))
                #expect(connection.bytesReceived.load(ordering: .relaxed) == receivedAfterFirstChunk)
                #expect(receivedAfterFirstChunk - consumed <= HTTPClientConnection.bufferSize)
                // The server's writer is held back by TCP: far less than the body went out.
                #expect(written.load(ordering: .relaxed) < total / 2)
                while let chunk = try await iterator.next() { consumed += chunk.count }
                #expect(consumed == total)
            }
        }
    }

    @Test func bodyWaitsForContinue() async throws {
        let server = try RawTestServer { connection, _ in
            let head = try connection.readHead()
            guard head.contains("Expect: 100-continue\r\n") else { return }
            try connection.send("HTTP/1.1 100 Continue\r\n\r\n")
            let body = try connection.readBytes(5)
            try connection.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + String(decoding: body, as: UTF8.self))
        }
        // Only the 100 can release the body within the server's 5 s read timeout.
        try await withHTTPClient({ $0.expectContinueTimeout = .seconds(60) }) { (client) async throws in
            var request = try HTTPClientRequest(method: .put, url: server.url + "/x", body: .bytes(Array("hello".utf8)))
            request.expectContinue = true
            let response = try await client.execute(request)
            #expect(response.status == .ok)
            #expect(try await response.body.collect(upTo: 100) == Array("hello".utf8))
        }
    }

    @Test func earlyRefusalMeansTheBodyIsNeverSent() async throws {
        var router = HTTPRouter()
        try router.add(.put, "/small", maxBodyBytes: 10) { request in
            .text("got \(try await request.body.collect(upTo: 10).count)")
        }
        try router.add(.get, "/hello") { _ in .text("hello") }
        try await withTestServer(router: router) { server, port in
            let produced = Atomic<Int>(0)
            try await withHTTPClient({ $0.expectContinueTimeout = .seconds(60) }) { (client) async throws in
                var request = try HTTPClientRequest(
                    method: .put, url: "http://127.0.0.1:\(port)/small",
                    body: .stream(length: 100_000) { writer in
                        produced.add(1, ordering: .relaxed)
                        try await writer.write([UInt8](repeating: 1, count: 100_000))
                    })
                request.expectContinue = true
                let response = try await client.execute(request)
                #expect(response.status.code == 413)
                _ = try await response.body.collect(upTo: 1000)
                #expect(produced.load(ordering: .relaxed) == 0)
                // Accepted with 100 Continue, the same route reads the body.
                var small = try HTTPClientRequest(method: .put, url: "http://127.0.0.1:\(port)/small", body: .bytes([1, 2, 3]))
                small.expectContinue = true
                #expect(try await client.execute(small).body.collect(upTo: 100) == Array("got 3".utf8))
                #expect(try await client.fetch(.get, "http://127.0.0.1:\(port)/hello").status == 200)
                // The refused connection was not reused (the server may still expect the body).
                #expect(server.metrics.snapshot().connectionsAccepted == 2)
            }
        }
    }

    @Test func bodyIsSentAnywayWhenNoContinueComes() async throws {
        let server = try RawTestServer { connection, _ in
            try connection.readHead()
            let body = try connection.readBytes(3)
            try connection.send("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n")
            try connection.send(body)
        }
        try await withHTTPClient({ $0.expectContinueTimeout = .milliseconds(50) }) { (client) async throws in
            var request = try HTTPClientRequest(method: .put, url: server.url + "/x", body: .bytes([4, 5, 6]))
            request.expectContinue = true
            #expect(try await client.execute(request).body.collect(upTo: 10) == [4, 5, 6])
        }
    }

    @Test func expectationFailedIsRetriedWithoutExpect() async throws {
        let server = try RawTestServer { connection, number in
            let head = try connection.readHead()
            if number == 1 {
                try connection.send("HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n")
                return
            }
            guard !head.contains("Expect:") else { return }
            let body = try connection.readBytes(2)
            try connection.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
            try connection.send(body)
        }
        let calls = Atomic<Int>(0)
        try await withHTTPClient({ $0.expectContinueTimeout = .seconds(60) }) { (client) async throws in
            var request = try HTTPClientRequest(
                method: .post, url: server.url + "/x",
                body: .stream(length: 2) { writer in
                    calls.add(1, ordering: .relaxed)
                    try await writer.write([8, 9])
                })
            request.expectContinue = true
            #expect(try await client.execute(request).body.collect(upTo: 10) == [8, 9])
        }
        #expect(calls.load(ordering: .relaxed) == 1)
    }

    @Test func uploadStopsWhenTheServerAnswersEarly() async throws {
        let total = 256 << 20
        let produced = Atomic<Int>(0)
        var router = HTTPRouter()
        try router.add(.put, "/refuse", maxBodyBytes: Int64(total)) { _ in .text("no", status: .forbidden) }
        try await withTestServer(router: router) { _, port in
            try await withHTTPClient { (client) async throws in
                let response = try await client.execute(
                    HTTPClientRequest(
                        method: .put, url: "http://127.0.0.1:\(port)/refuse",
                        body: .stream(length: nil) { writer in
                            let block = [UInt8](repeating: 2, count: 64 * 1024)
                            for _ in 0..<(total / block.count) {
                                try await writer.write(block)
                                produced.add(block.count, ordering: .relaxed)
                            }
                        }))
                #expect(response.status == .forbidden)
                #expect(try await response.body.collect(upTo: 100) == Array("no".utf8))
                #expect(produced.load(ordering: .relaxed) < total)
            }
        }
    }

    @Test func cancellationStopsAReadAndClosesTheConnection() async throws {
        let writerStopped = Flag<Bool>()
        let handlerStarted = Flag<Bool>()
        var router = HTTPRouter()
        try router.add(.get, "/endless") { _ in
            HTTPServerResponse(status: .ok, body: .stream(length: nil) { writer in
                do {
                    while true { try await writer.write([UInt8](repeating: 3, count: 64 * 1024)) }
                } catch {
                    writerStopped.set(true)
                    throw error
                }
            })
        }
        try router.add(.get, "/silent") { _ in
            handlerStarted.set(true)
            for _ in 0..<500 { try await Task.sleep(for: .milliseconds(10)) }
            return .text("late")
        }
        try await withTestServer(router: router) { _, port in
            try await withHTTPClient { (client) async throws in
                let firstChunk = Flag<Bool>()
                let reading = Task { () -> HTTPClientError? in
                    await clientError {
                        let response = try await client.execute(HTTPClientRequest(method: .get, url: "http://127.0.0.1:\(port)/endless"))
                        for try await _ in response.body { firstChunk.set(true) }
                    }
                }
                #expect(try await firstChunk.wait() == true)
                reading.cancel()
                #expect(await reading.value == .cancelled)
                #expect(try await writerStopped.wait() == true)

                let waiting = Task { () -> HTTPClientError? in
                    await clientError { _ = try await client.fetch(.get, "http://127.0.0.1:\(port)/silent") }
                }
                #expect(try await handlerStarted.wait() == true)
                waiting.cancel()
                #expect(await waiting.value == .cancelled)
            }
        }
    }
}
