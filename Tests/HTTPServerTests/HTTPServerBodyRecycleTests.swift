import HTTPServer
import Testing

/// Request-body chunks given back for the next socket reads (`HTTPRequestBody.recycle`): every
/// byte still arrives once and in order, a chunk the handler still holds is never written
/// over, and the next request on the connection is untouched.
@Suite("Server: request-body chunks recycled into the next reads")
struct HTTPServerBodyRecycleTests {
    /// Bytes that differ from position to position, so a byte read into the wrong place shows.
    static func body(_ count: Int, seed: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ ($0 >> 9) &+ seed) }
    }

    /// FNV-1a (64-bit) of `bytes` and their count, as the handlers answer it.
    static func summary(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "\(bytes.count) \(String(hash, radix: 16))"
    }

    /// Sends each body as one PUT on a single connection, in writes of `piece` bytes, and
    /// returns the answers.
    static func put(_ bodies: [[UInt8]], path: String, port: Int, piece: Int) async throws -> [String] {
        try await blocking {
            let client = try TestClient(port: port)
            var answers: [String] = []
            for body in bodies {
                try client.send("PUT \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n")
                var sent = 0
                while sent < body.count {
                    let end = min(sent + piece, body.count)
                    try client.send(Array(body[sent..<end]))
                    sent = end
                }
                answers.append(try client.readResponse().text)
            }
            return answers
        }
    }

    @Test func recycledChunksCarryEveryByteInOrder() async throws {
        var router = HTTPRouter()
        try router.add(.put, "/recycle", maxBodyBytes: 16 << 20) { request in
            var received: [UInt8] = []
            var pending: [[UInt8]] = []
            var iterator = request.body.makeAsyncIterator()
            while let chunk = try await iterator.next() {
                received.append(contentsOf: chunk)
                pending.append(chunk)
                // Given back three at a time, as a blob upload gives back each written batch.
                if pending.count == 3 {
                    let done = pending
                    pending = []
                    request.body.recycle(consume done)
                }
            }
            request.body.recycle(pending)
            return .text(Self.summary(received))
        }
        let bodies = [Self.body((3 << 20) + 12345, seed: 1), Self.body(1 << 20, seed: 2), Self.body(70_001, seed: 3)]
        try await withTestServer(router: router, configure: { $0.limits.requestBodyBufferBytes = 64 << 10 }) { _, port in
            for piece in [100_003, 4096, 1 << 20] {
                let answers = try await Self.put(bodies, path: "/recycle", port: port, piece: piece)
                #expect(answers == bodies.map(Self.summary))
            }
        }
    }

    @Test func aRecycledChunkStillHeldIsNeverWrittenOver() async throws {
        var router = HTTPRouter()
        try router.add(.put, "/hold", maxBodyBytes: 16 << 20) { request in
            // A careless handler: gives back every chunk and keeps it all the same.
            var kept: [[UInt8]] = []
            for try await chunk in request.body {
                kept.append(chunk)
                request.body.recycle([chunk])
            }
            return .text(Self.summary(kept.flatMap { $0 }))
        }
        let bodies = [Self.body(5 << 20, seed: 4), Self.body(300_000, seed: 5)]
        try await withTestServer(router: router, configure: { $0.limits.requestBodyBufferBytes = 64 << 10 }) { _, port in
            let answers = try await Self.put(bodies, path: "/hold", port: port, piece: 65_537)
            #expect(answers == bodies.map(Self.summary))
        }
    }

    /// Through a transport that hands out at most 4 KiB per read after a `.wantWrite` (as a TLS
    /// session can), every spare read is either not done (the spare goes back) or short (its
    /// bytes are copied out and the spare goes back).
    @Test func shortReadsAndTransportsThatWantToWriteKeepEveryByte() async throws {
        var router = HTTPRouter()
        try router.add(.put, "/recycle", maxBodyBytes: 16 << 20) { request in
            var received: [UInt8] = []
            var iterator = request.body.makeAsyncIterator()
            while let chunk = try await iterator.next() {
                received.append(contentsOf: chunk)
                request.body.recycle([consume chunk])
            }
            return .text(Self.summary(received))
        }
        let bodies = [Self.body(600_001, seed: 6), Self.body(40_000, seed: 7)]
        try await withTestServer(router: router, configure: { configuration in
            configuration.limits.requestBodyBufferBytes = 64 << 10
            configuration.transportFactory = { fd in DirectionSwappingTransport(fileDescriptor: fd, counter: ReadCounter()) }
        }) { _, port in
            let answers = try await Self.put(bodies, path: "/recycle", port: port, piece: 50_000)
            #expect(answers == bodies.map(Self.summary))
        }
    }

    @Test func anInMemoryBodyIgnoresRecycling() async throws {
        let body = HTTPRequestBody.bytes([1, 2, 3])
        body.recycle([[9, 9, 9, 9]])
        var chunks: [[UInt8]] = []
        for try await chunk in body { chunks.append(chunk) }
        #expect(chunks == [[1, 2, 3]])
    }
}
