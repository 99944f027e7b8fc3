import Foundation
import HTTPServer
import HTTPTypes
import Testing

@Suite("Server: file responses with ranges and validators")
struct HTTPFileResponseTests {
    static func makeFile() throws -> (path: String, bytes: [UInt8]) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("http-file-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        let url = directory.appendingPathComponent("blob.bin")
        try Data(bytes).write(to: url)
        return (url.path, bytes)
    }

    @Test(arguments: [false, true])
    func servesFilesWithRangesAndValidators(encrypted: Bool) async throws {
        let (path, bytes) = try Self.makeFile()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        var router = HTTPRouter()
        try router.add(.get, "/blob") { request in
            try HTTPFileResponse.make(for: request, path: path, contentType: "application/octet-stream", etag: HTTPEntityTag("abc"))
        }
        try await withTestServer(router: router, configure: { configuration in
            if encrypted { configuration.transportFactory = { SlicingTransport(fileDescriptor: $0) } }
        }) { _, port in
            let responses = try await blocking {
                let client = try TestClient(port: port)
                var responses: [TestClient.Response] = []
                for (request, head) in [
                    ("GET /blob HTTP/1.1\r\nHost: x\r\n\r\n", false),
                    ("GET /blob HTTP/1.1\r\nHost: x\r\nRange: bytes=1000-1999\r\n\r\n", false),
                    ("GET /blob HTTP/1.1\r\nHost: x\r\nRange: bytes=-10\r\n\r\n", false),
                    ("GET /blob HTTP/1.1\r\nHost: x\r\nRange: bytes=300000-\r\n\r\n", false),
                    ("GET /blob HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"abc\"\r\n\r\n", false),
                    ("GET /blob HTTP/1.1\r\nHost: x\r\nIf-Match: \"other\"\r\n\r\n", false),
                    ("HEAD /blob HTTP/1.1\r\nHost: x\r\n\r\n", true),
                    ("GET /blob HTTP/1.1\r\nHost: x\r\nRange: bytes=0-0,5-6\r\n\r\n", false),
                ] {
                    try client.send(request)
                    responses.append(try client.readResponse(head: head))
                }
                return responses
            }
            #expect(responses[0].status == 200)
            #expect(responses[0].body == bytes)
            #expect(responses[0].header("ETag") == "\"abc\"")
            #expect(responses[0].header("Accept-Ranges") == "bytes")
            #expect(responses[1].status == 206)
            #expect(responses[1].header("Content-Range") == "bytes 1000-1999/300000")
            #expect(responses[1].body == Array(bytes[1000...1999]))
            #expect(responses[2].body == Array(bytes.suffix(10)))
            #expect(responses[3].status == 416)
            #expect(responses[3].header("Content-Range") == "bytes */300000")
            #expect(responses[4].status == 304)
            #expect(responses[4].header("ETag") == "\"abc\"")
            #expect(responses[5].status == 412)
            #expect(responses[6].status == 200)
            #expect(responses[6].header("Content-Length") == "300000")
            #expect(responses[7].status == 200)
            #expect(responses[7].body.count == bytes.count)
        }
    }

    @Test func missingFilesAreErrors() {
        #expect(throws: HTTPServerError.self) {
            try HTTPFileResponse.make(for: HTTPServerRequest(method: .get, target: "/"), path: "/nonexistent/\(UUID().uuidString)")
        }
    }

    @Test func streamsLargeBodiesThroughPartialWrites() async throws {
        var router = HTTPRouter()
        try router.add(.put, "/echo", maxBodyBytes: 1 << 22) { request in
            HTTPServerResponse(status: .ok, body: .stream(length: nil) { writer in
                for try await chunk in request.body { try await writer.write(chunk) }
            })
        }
        try await withTestServer(router: router, configure: { $0.transportFactory = { SlicingTransport(fileDescriptor: $0) } }) { _, port in
            let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 % 251) }
            let response = try await blocking {
                let client = try TestClient(port: port)
                try client.send(Array("PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(payload.count)\r\n\r\n".utf8) + payload)
                return try client.readResponse()
            }
            #expect(response.header("Transfer-Encoding") == "chunked")
            #expect(response.body == payload)
        }
    }
}
