import CoffreClient
import Foundation
import Testing

/// Runs the shared WebDAV benchmark (`webdav-bench.sh`) against the gateway over a local
/// folder, with Basic auth, when `COFFRE_DAV_BENCH_SCRIPT` names the script. Measures only:
/// it prints the metrics and fails on request errors, never on timings. For real numbers use
/// a release build: `COFFRE_DAV_BENCH_SCRIPT=../shared/bench/webdav-bench.sh swift test -c release --filter WebDAVBenchmark`.
@Suite("WebDAV gateway benchmark (opt-in)")
struct WebDAVBenchmarkTests {
    static let script = ProcessInfo.processInfo.environment["COFFRE_DAV_BENCH_SCRIPT"]

    @Test(.enabled(if: script != nil, "set COFFRE_DAV_BENCH_SCRIPT to run"))
    func sharedBenchmarkOverALocalFolder() async throws {
        let script = try #require(Self.script)
        let gateway = try WebDAVGatewayFixture(.directory, eventLoopCount: ProcessInfo.processInfo.activeProcessorCount)
        let run = try await WebDAVGatewayFixture.run(
            "/bin/bash", [script, gateway.url], in: gateway.folder,
            environment: ["WEBDAV_USER": gateway.credentials.user, "WEBDAV_PASS": gateway.credentials.password])
        await gateway.stop()
        print(run.output)
        #expect(run.status == 0, "\(run.output)")
        for counter in ["put_4k_errors", "wrk_get_4k_errors"] where run.output.contains(counter) {
            #expect(run.output.contains("\(counter) 0 count"), "\(run.output)")
        }
        #expect(!run.output.contains("propfind_d1 NaN"), "\(run.output)")
    }
}
