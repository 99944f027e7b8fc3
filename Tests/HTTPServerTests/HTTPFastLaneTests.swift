import HTTPServer
import HTTPTypes
import Synchronization
import Testing

/// Routes with a fast lane (`HTTPHandler.Execution.attemptInline`): the attempt answers on the
/// loop when it can; otherwise, and always for a request with a body, the task runs.
@Suite("Fast lane")
struct HTTPFastLaneTests {
    /// How often the task ran.
    private final class TaskRuns: Sendable {
        private let count = Atomic(0)
        func add() { count.wrappingAdd(1, ordering: .relaxed) }
        var value: Int { count.load(ordering: .relaxed) }
    }

    /// `/item/{name}`: the attempt answers "hot" for `hot`, gives up for anything else; the
    /// task answers "task <name>" and counts its runs.
    private static func router(taskRuns: TaskRuns) throws -> HTTPRouter {
        var router = HTTPRouter()
        try router.add(
            .get, "/item/{name}",
            attempt: { request in request.pathParameters["name"] == "hot" ? .text("hot") : nil },
            otherwise: { request in
                taskRuns.add()
                return .text("task \(request.pathParameters["name"] ?? "")")
            })
        try router.add(
            .put, "/item/{name}", attempt: { _ in .text("attempt must not run with a body") },
            otherwise: { request in .text("task read \(try await request.body.collect(upTo: 1_000).count)") })
        return router
    }

    @Test func anAnswerFromTheAttemptSkipsTheTaskAndIsCounted() async throws {
        let taskRuns = TaskRuns()
        try await withTestServer(router: try Self.router(taskRuns: taskRuns)) { server, port in
            let hot = try await exchange(port, "GET /item/hot HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(hot.status == 200 && hot.text == "hot")
            #expect(taskRuns.value == 0)
            #expect(server.metrics.snapshot().fastLaneResponses == 1)
            // HEAD through the GET route: same lane, no body.
            let head = try await exchange(port, "HEAD /item/hot HTTP/1.1\r\nHost: x\r\n\r\n", head: true)
            #expect(head.status == 200 && head.body.isEmpty && head.header("Content-Length") == "3")
            #expect(server.metrics.snapshot().fastLaneResponses == 2)
            let text = server.metrics.snapshot().renderPrometheus(namespace: "t")
            #expect(text.contains("t_fast_lane_responses_total 2\n"))
        }
    }

    @Test func aDeclinedAttemptRunsTheTask() async throws {
        let taskRuns = TaskRuns()
        try await withTestServer(router: try Self.router(taskRuns: taskRuns)) { server, port in
            let cold = try await exchange(port, "GET /item/cold HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(cold.status == 200 && cold.text == "task cold")
            #expect(taskRuns.value == 1)
            #expect(server.metrics.snapshot().fastLaneResponses == 0)
        }
    }

    @Test func aRequestWithABodyNeverTakesTheAttempt() async throws {
        let taskRuns = TaskRuns()
        try await withTestServer(router: try Self.router(taskRuns: taskRuns)) { server, port in
            let put = try await exchange(port, "PUT /item/hot HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
            #expect(put.status == 200 && put.text == "task read 5")
            let chunked = try await exchange(
                port, "PUT /item/hot HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
            #expect(chunked.status == 200 && chunked.text == "task read 3")
            #expect(server.metrics.snapshot().fastLaneResponses == 0)
        }
    }

    @Test func pipelinedRequestsMixingBothLanesAnswerInOrder() async throws {
        let taskRuns = TaskRuns()
        try await withTestServer(router: try Self.router(taskRuns: taskRuns)) { _, port in
            let answers = try await blocking {
                let client = try TestClient(port: port)
                try client.send(
                    "GET /item/cold HTTP/1.1\r\nHost: x\r\n\r\nGET /item/hot HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "GET /item/other HTTP/1.1\r\nHost: x\r\n\r\nGET /item/hot HTTP/1.1\r\nHost: x\r\n\r\n")
                return try (0..<4).map { _ in try client.readResponse().text }
            }
            #expect(answers == ["task cold", "hot", "task other", "hot"])
        }
    }

    @Test func theRouterOutsideAServerTriesTheAttemptFirst() async throws {
        let taskRuns = TaskRuns()
        let router = try Self.router(taskRuns: taskRuns)
        let hot = try await router.respond(to: try HTTPServerRequest(method: .get, target: "/item/hot"))
        let cold = try await router.respond(to: try HTTPServerRequest(method: .get, target: "/item/cold"))
        guard case .bytes(let hotBody) = hot.body, case .bytes(let coldBody) = cold.body else {
            Issue.record("expected in-memory bodies")
            return
        }
        #expect(hotBody == Array("hot".utf8) && coldBody == Array("task cold".utf8))
        #expect(taskRuns.value == 1)
    }
}
