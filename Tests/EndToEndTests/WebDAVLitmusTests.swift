import CoffreClient
import Foundation
import Testing

/// litmus 0.13, every suite on its own from a clean state, against the gateway over both
/// storages: every test must pass, with no warning.
@Suite("WebDAV gateway under litmus", .serialized)
struct WebDAVLitmusTests {
    static let suites = ["basic", "copymove", "props", "locks", "http"]

    @Test(arguments: WebDAVGatewayFixture.StorageKind.allCases, suites)
    func suitePassesWithoutWarnings(storage: WebDAVGatewayFixture.StorageKind, suite: String) async throws {
        let gateway = try WebDAVGatewayFixture(storage)
        let workDirectory = gateway.folder
        let run = try await WebDAVGatewayFixture.run(
            "/usr/bin/litmus", [gateway.url, gateway.credentials.user, gateway.credentials.password], in: workDirectory,
            environment: ["TESTS": suite])
        await gateway.stop()
        let summary = try #require(Self.summary(of: run.output, suite: suite), "no litmus summary in:\n\(run.output)")
        #expect(summary.run > 0, "\(run.output)")
        #expect(summary.failed == 0, "litmus \(suite) over \(storage):\n\(run.output)")
        #expect(!run.output.contains("warning"), "litmus \(suite) over \(storage) warned:\n\(run.output)")
        #expect(run.status == 0, "litmus exited \(run.status):\n\(run.output)")
    }

    /// `<- summary for `basic': of 16 tests run: 16 passed, 0 failed. 100.0%`
    static func summary(of output: String, suite: String) -> (run: Int, passed: Int, failed: Int)? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains("summary for `\(suite)'") }) else { return nil }
        let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard numbers.count >= 3 else { return nil }
        return (numbers[0], numbers[1], numbers[2])
    }
}
