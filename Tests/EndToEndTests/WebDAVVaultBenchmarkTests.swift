import Foundation
import Testing

/// Runs the shared WebDAV benchmark (`webdav-bench.sh`) against `coffre dav` over a vault on a
/// real coffred, when `COFFRE_DAV_BENCH_SCRIPT` names the script. Measures only: it prints the
/// metrics and fails on request errors, never on timings. For real numbers point the binaries
/// at a release build: `COFFRED_BIN=.build/release/coffred COFFRE_BIN=.build/release/coffre
/// COFFRE_ADMIN_BIN=.build/release/coffre-admin COFFRE_DAV_BENCH_SCRIPT=../shared/bench/webdav-bench.sh
/// swift test --filter WebDAVVaultBenchmark`.
@Suite("coffre dav benchmark (opt-in)")
struct WebDAVVaultBenchmarkTests {
    static let script = ProcessInfo.processInfo.environment["COFFRE_DAV_BENCH_SCRIPT"]

    @Test(.enabled(if: script != nil, "set COFFRE_DAV_BENCH_SCRIPT to run"))
    func sharedBenchmarkOverAVault() async throws {
        let script = try #require(Self.script)
        let setting = try await WebDAVVaultTests.Setting(vaultName: "Bench")
        let dav = try setting.dav(vault: "Bench")
        let gateway = try await dav.waitUntilServing()
        let run = try await WebDAVGatewayFixture.run(
            "/bin/bash", [script, gateway.url], in: setting.work,
            environment: ["WEBDAV_USER": gateway.user, "WEBDAV_PASS": gateway.password])
        #expect(await dav.stop() == 0)
        print(run.output)
        #expect(run.status == 0, "\(run.output)")
        for counter in ["put_4k_errors", "wrk_get_4k_errors"] where run.output.contains(counter) {
            #expect(run.output.contains("\(counter) 0 count"), "\(run.output)")
        }
        #expect(!run.output.contains("propfind_d1 NaN"), "\(run.output)")
    }
}
