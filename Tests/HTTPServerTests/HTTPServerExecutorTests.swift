import Foundation
import Glibc
import HTTPServer
import HTTPTypes
import Testing

/// Handlers run on their connection's event loop (the loop is their task executor), and
/// blocking work goes through `HTTPBlockingWork` on a Dispatch queue instead.
@Suite("Server: handler execution on the event loops")
struct HTTPServerExecutorTests {
    static func threadName() -> String {
        // The kernel's name of the calling thread (pthread_getname_np needs _GNU_SOURCE).
        let fd = open("/proc/thread-self/comm", O_RDONLY)
        guard fd >= 0 else { return "?" }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = read(fd, &buffer, buffer.count)
        return String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    static func router() throws -> HTTPRouter {
        var router = HTTPRouter()
        try router.add(.get, "/where") { _ in
            let before = Self.threadName()
            let offloaded = try await HTTPBlockingWork.run { Self.threadName() }
            let after = Self.threadName()
            return .text("\(before)|\(offloaded)|\(after)")
        }
        try router.add(.get, "/fails") { _ in
            struct Refused: HTTPResponseError { var status: HTTPResponse.Status { .conflict } }
            return try await HTTPBlockingWork.run { () throws -> HTTPServerResponse in throw Refused() }
        }
        return router
    }

    @Test func handlersRunOnTheLoopAndBlockingWorkElsewhere() async throws {
        try await withTestServer(router: Self.router()) { _, port in
            let response = try await exchange(port, "GET /where HTTP/1.1\r\nHost: x\r\n\r\n")
            let parts = response.text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            try #require(parts.count == 3)
            #expect(parts[0].hasPrefix("http-loop"))
            #expect(parts[2] == parts[0], "the handler resumes on its own loop after awaiting")
            #expect(!parts[1].hasPrefix("http-loop"), "blocking work must not run on a loop")
        }
    }

    @Test func errorsFromBlockingWorkReachTheClient() async throws {
        try await withTestServer(router: Self.router()) { _, port in
            let response = try await exchange(port, "GET /fails HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.status == 409)
        }
    }
}
