import Synchronization
import Testing

@testable import HTTPServer

/// Request bodies read into the handler's own buffers (`HTTPRequestBody.fill`): every byte once
/// and in order whatever the socket's pieces, only the last fill short, the next request on the
/// connection untouched, and a body that fails wakes the waiting fill with the failure.
@Suite("Server: request bodies filled into the handler's buffers")
struct HTTPServerBodyFillTests {
    typealias Body = HTTPServerBodyRecycleTests

    /// A handler that fills a buffer of `size` bytes until the body ends; it answers the
    /// bytes' summary and whether every fill before the last was full, then `0` once.
    static func filling(size: Int, pauseEvery: Int = 0) -> @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse {
        { request in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
            defer { buffer.deallocate() }
            var received: [UInt8] = []
            var counts: [Int] = []
            while true {
                let count = try await request.body.fill(buffer)
                counts.append(count)
                received.append(contentsOf: buffer[0..<count])
                if count < size { break }
                if pauseEvery > 0 && counts.count % pauseEvery == 0 { try await Task.sleep(for: .milliseconds(20)) }
            }
            let after = try await request.body.fill(buffer)
            let shape = counts.dropLast().allSatisfy { $0 == size } && after == 0 ? "full" : "short \(counts) then \(after)"
            return .text("\(Body.summary(received)) \(shape)")
        }
    }

    @Test func fillsCarryEveryByteInOrderAndOnlyTheLastIsShort() async throws {
        var router = HTTPRouter()
        try router.add(.put, "/fill", maxBodyBytes: 16 << 20, Self.filling(size: 1 << 20))
        try router.add(.put, "/odd", maxBodyBytes: 16 << 20, Self.filling(size: 100_003))
        // A body of whole buffers: the fill that meets the end is empty, not short.
        let bodies = [Body.body((3 << 20) + 12345, seed: 1), Body.body(1 << 20, seed: 2), Body.body(70_001, seed: 3), Body.body(1, seed: 4)]
        try await withTestServer(router: router, configure: { $0.limits.requestBodyBufferBytes = 64 << 10 }) { server, port in
            for piece in [100_003, 4096, 1 << 20] {
                for path in ["/fill", "/odd"] {
                    let answers = try await Body.put(bodies, path: path, port: port, piece: piece)
                    #expect(answers == bodies.map { Body.summary($0) + " full" }, "\(path), pieces of \(piece)")
                }
            }
            // Most bytes went from the socket straight into the fills, not through arrays
            // (those queued before each handler's first fill are copied).
            let total = 6 * bodies.reduce(0) { $0 + $1.count }
            #expect(server.metrics.requestBodyBytesFilled.load(ordering: .relaxed) > total / 2)
        }
    }

    /// Bodies sent back to back with the next request right behind (pipelined): the fills never
    /// take the next request's bytes.
    @Test func pipelinedRequestsAfterAFilledBodyAreUntouched() async throws {
        var router = HTTPRouter()
        try router.add(.put, "/fill", maxBodyBytes: 16 << 20, Self.filling(size: 64 << 10))
        let bodies = [Body.body(200_000, seed: 5), Body.body(65_536, seed: 6), Body.body(10, seed: 7)]
        try await withTestServer(router: router) { _, port in
            let answers = try await blocking {
                let client = try TestClient(port: port)
                var wire: [UInt8] = []
                for body in bodies {
                    wire += Array("PUT /fill HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
                }
                try client.send(wire)
                return try bodies.map { _ in try client.readResponse().text }
            }
            #expect(answers == bodies.map { Body.summary($0) + " full" })
        }
    }

    /// A handler that sleeps before its first fill finds the bytes the loop queued meanwhile
    /// (up to the high-water mark) copied in first; one that pauses between fills stops the
    /// loop, which reads again when the next fill waits.
    @Test func queuedBytesComeFirstAndASlowConsumerPausesTheLoop() async throws {
        var router = HTTPRouter()
        try router.add(.put, "/late", maxBodyBytes: 16 << 20) { request in
            try await Task.sleep(for: .milliseconds(100))
            return try await Self.filling(size: 50_000, pauseEvery: 3)(request)
        }
        let bodies = [Body.body(2_000_000, seed: 8)]
        try await withTestServer(router: router, configure: { $0.limits.requestBodyBufferBytes = 64 << 10 }) { _, port in
            let answers = try await Body.put(bodies, path: "/late", port: port, piece: 300_000)
            #expect(answers == bodies.map { Body.summary($0) + " full" })
        }
    }

    /// Short reads and a transport that wants to write in between (as TLS can).
    @Test func shortReadsAndTransportsThatWantToWriteKeepEveryByte() async throws {
        var router = HTTPRouter()
        try router.add(.put, "/fill", maxBodyBytes: 16 << 20, Self.filling(size: 128 << 10))
        let bodies = [Body.body(600_001, seed: 9), Body.body(40_000, seed: 10)]
        try await withTestServer(router: router, configure: { configuration in
            configuration.transportFactory = { fd in DirectionSwappingTransport(fileDescriptor: fd, counter: ReadCounter()) }
        }) { _, port in
            let answers = try await Body.put(bodies, path: "/fill", port: port, piece: 50_000)
            #expect(answers == bodies.map { Body.summary($0) + " full" })
        }
    }

    /// Through TLS the loop decrypts into the fill's buffer: every byte, only the last fill short.
    @Test func fillsThroughTLS() async throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let context = try identity.serverContext()
        var router = HTTPRouter()
        try router.add(.put, "/fill", maxBodyBytes: 16 << 20, Self.filling(size: 1 << 20))
        let payload = Body.body((3 << 20) + 777, seed: 16)
        try await withTestServer(router: router, configure: { $0.transportFactory = TLSTransport.serverFactory(context: context) }) { server, port in
            try await withHTTPClient({ $0.tlsTrust = .pinnedCertificate(sha256: identity.generated.fingerprintSHA256) }) { client in
                let response = try await client.fetch(
                    .put, "https://127.0.0.1:\(port)/fill",
                    body: .stream(length: Int64(payload.count), producer: producer(of: payload, runSize: 100_000)))
                #expect(String(decoding: response.body, as: UTF8.self) == Body.summary(payload) + " full")
            }
            #expect(server.metrics.requestBodyBytesFilled.load(ordering: .relaxed) > payload.count / 2)
        }
    }

    /// A chunked body has no length to read to: its decoded bytes are copied into the fills.
    @Test func aChunkedBodyFillsToo() async throws {
        var router = HTTPRouter()
        try router.add(.put, "/fill", maxBodyBytes: 16 << 20, Self.filling(size: 4096))
        let body = Body.body(30_000, seed: 11)
        try await withTestServer(router: router) { _, port in
            let answer = try await blocking {
                let client = try TestClient(port: port)
                try client.send("PUT /fill HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                var sent = 0
                while sent < body.count {
                    let end = min(sent + 7_000, body.count)
                    try client.send(Array(String(end - sent, radix: 16).utf8) + Array("\r\n".utf8) + Array(body[sent..<end]) + Array("\r\n".utf8))
                    sent = end
                }
                try client.send("0\r\n\r\n")
                return try client.readResponse().text
            }
            #expect(answer == Body.summary(body) + " full")
        }
    }

    /// `Expect: 100-continue`: the first fill is what asks for the body.
    @Test func theFirstFillSendsContinue() async throws {
        var router = HTTPRouter()
        try router.add(.put, "/fill", maxBodyBytes: 16 << 20, Self.filling(size: 8192))
        let body = Body.body(20_000, seed: 12)
        try await withTestServer(router: router) { _, port in
            let (interim, answer) = try await blocking {
                let client = try TestClient(port: port)
                try client.send("PUT /fill HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\nExpect: 100-continue\r\n\r\n")
                let interim = try client.readInterim()
                try client.send(body)
                return (interim, try client.readResponse().text)
            }
            #expect(interim == 100)
            #expect(answer == Body.summary(body) + " full")
        }
    }

    /// The client leaves mid-body while a fill waits: the fill throws `bodyTruncated`, and the
    /// buffer is the handler's again.
    @Test func aWaitingFillSeesTheClientLeave() async throws {
        let outcome = try await HTTPServerBodyTests.outcomeWhenClientLeaves(announced: 3_000_000, sent: 1_500_000) { body in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
            defer { buffer.deallocate() }
            while try await body.fill(buffer) == buffer.count {}
        }
        #expect(outcome == HTTPServerError.bodyTruncated.description)
    }

    /// A handler that fills first and then iterates gets every byte once, in order: the loop
    /// goes back to reading arrays instead of waiting for fills.
    @Test func iteratingAfterFillsGetsTheRest() async throws {
        var router = HTTPRouter()
        try router.add(.put, "/mixed", maxBodyBytes: 16 << 20) { request in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 100_000, alignment: 8)
            defer { buffer.deallocate() }
            var received: [UInt8] = []
            for _ in 0..<3 {
                let count = try await request.body.fill(buffer)
                received.append(contentsOf: buffer[0..<count])
            }
            for try await chunk in request.body { received.append(contentsOf: chunk) }
            return .text(Body.summary(received))
        }
        let bodies = [Body.body(1_000_003, seed: 14), Body.body(250_000, seed: 15)]
        try await withTestServer(router: router, configure: { $0.limits.requestBodyBufferBytes = 64 << 10 }) { _, port in
            let answers = try await Body.put(bodies, path: "/mixed", port: port, piece: 70_000)
            #expect(answers == bodies.map(Body.summary))
        }
    }

    @Test func anInMemoryBodyFillsFromItsBytes() async throws {
        let body = HTTPRequestBody.bytes([1, 2, 3, 4, 5])
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2, alignment: 1)
        defer { buffer.deallocate() }
        var seen: [[UInt8]] = []
        while true {
            let count = try await body.fill(buffer)
            seen.append(Array(buffer[0..<count]))
            if count == 0 { break }
        }
        #expect(seen == [[1, 2], [3, 4], [5], []])
        #expect(try await HTTPRequestBody.empty.fill(buffer) == 0)
    }
}
