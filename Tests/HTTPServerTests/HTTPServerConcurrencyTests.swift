import HTTPServer
import HTTPTypes
import Testing

@Suite("Server: many clients at once")
struct HTTPServerConcurrencyTests {
    @Test func servesConcurrentKeepAliveClientsCorrectly() async throws {
        var router = HTTPRouter()
        try router.addInline(.get, "/inline/{n}") { request in .text("inline \(request.pathParameters["n"] ?? "")") }
        try router.add(.get, "/task/{n}") { request in
            await Task.yield()
            return .text("task \(request.pathParameters["n"] ?? "")")
        }
        try router.add(.post, "/echo") { request in
            HTTPServerResponse(status: .ok, body: .bytes(try await request.body.collect(upTo: 1 << 20)))
        }
        try await withTestServer(router: router) { server, port in
            let clients = 24
            let rounds = 40
            let failures = try await withThrowingTaskGroup(of: Int.self) { group in
                for client in 0..<clients {
                    group.addTask {
                        try await blocking {
                            let connection = try TestClient(port: port)
                            var failures = 0
                            for round in 0..<rounds {
                                let tag = "\(client)-\(round)"
                                switch round % 3 {
                                case 0:
                                    try connection.send("GET /inline/\(tag) HTTP/1.1\r\nHost: x\r\n\r\n")
                                    if try connection.readResponse().text != "inline \(tag)" { failures += 1 }
                                case 1:
                                    try connection.send("GET /task/\(tag) HTTP/1.1\r\nHost: x\r\n\r\n")
                                    if try connection.readResponse().text != "task \(tag)" { failures += 1 }
                                default:
                                    let body = String(repeating: tag, count: 1 + round * 50)
                                    try connection.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
                                    if try connection.readResponse().text != body { failures += 1 }
                                }
                            }
                            return failures
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(failures == 0)
            #expect(server.metrics.snapshot().requests["GET"]?["2xx"] ?? 0 >= clients * rounds * 2 / 3)
        }
    }
}
