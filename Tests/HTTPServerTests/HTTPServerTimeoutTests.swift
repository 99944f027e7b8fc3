import HTTPServer
import HTTPTypes
import Testing

@Suite("Server: body and write timeouts")
struct HTTPServerTimeoutTests {
    @Test func stalledBodyFailsTheReadWithATimeout() async throws {
        let seen = Flag<String>()
        var router = HTTPRouter()
        try router.add(.put, "/upload") { request in
            do {
                _ = try await request.body.collect(upTo: 1000)
                seen.set("complete")
            } catch let error as HTTPServerError {
                seen.set(error.description)
                throw error
            }
            return .text("done")
        }
        try await withTestServer(router: router, configure: { $0.limits.bodyReadIdleTimeout = .milliseconds(300) }) { _, port in
            let response = try await blocking {
                let client = try TestClient(port: port)
                // Ten of the promised hundred bytes, then nothing.
                try client.send("PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
                return try client.readResponse()
            }
            #expect(response.status == 408)
            #expect(response.header("Connection") == "close")
            #expect(try await seen.wait() == HTTPServerError.bodyReadTimeout.description)
        }
    }

    @Test func clientThatStopsReadingIsDisconnected() async throws {
        let seen = Flag<String>()
        var router = HTTPRouter()
        try router.add(.get, "/flood") { _ in
            HTTPServerResponse(status: .ok, body: .stream(length: nil) { writer in
                let block = [UInt8](repeating: 0x46, count: 256 * 1024)
                do {
                    // Far more than the socket buffers hold; bounded so the test always ends.
                    for _ in 0..<256 { try await writer.write(block) }
                    seen.set("complete")
                } catch let error as HTTPServerError {
                    seen.set(error.description)
                    throw error
                }
            })
        }
        try await withTestServer(router: router, configure: { $0.limits.writeProgressTimeout = .milliseconds(300) }) { _, port in
            let client = try await blocking {
                let client = try TestClient(port: port)
                try client.send("GET /flood HTTP/1.1\r\nHost: x\r\n\r\n")
                return LoopBoundClient(client: client)
            }
            // The client never reads; the server must give up on it.
            #expect(try await seen.wait() == HTTPServerError.connectionClosed.description)
            _ = client
        }
    }
}
