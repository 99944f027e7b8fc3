// sync-bench: the sync API over HTTP against a real coffred (release build). `make bench-sync`
// starts nginx next to it (Benchmarks/sync-bench.sh) for the blob transfer figures; the other
// figures are coffred's alone. docs/performance.md, "Sync API", reads the output.
import CoffreClient
import Foundation
import HTTPServer

BenchEnvironment.raiseOpenFileLimit()
do {
    let environment = try BenchEnvironment.fromProcess()
    print("sync-bench: \(environment.entries) entries, \(environment.runs) runs, \(environment.wire.rawValue) commits and feed, load average \(BenchEnvironment.loadAverage)")
    let coffred = try CoffredUnderTest(binary: environment.coffred)
    defer { coffred.stop() }
    var configuration = HTTPClientConfiguration()
    configuration.maxConnectionsPerHost = 16
    let http = try HTTPClient(configuration: configuration)
    defer { http.shutdown() }
    let (client, vault) = try await coffred.userWithVault("bench", http: http)
    var report = SyncBenchReport()

    if environment.commitsOnly {
        print("  SYNC_BENCH_COMMITS_ONLY: only the commit run")
    } else if let nginxURL = environment.nginxURL, let nginxRoot = environment.nginxRoot {
        let transfers = TransferBench(
            http: http, client: client, vault: vault, nginxURL: nginxURL, nginxRoot: nginxRoot, wrkSeconds: environment.wrkSeconds,
            probeFolder: coffred.dataDirectory + "-disk-probe", coffredPID: coffred.process.processIdentifier)
        for round in 0..<environment.runs {
            let put = try await transfers.putRound(round)
            print("  PUT round \(round + 1): coffred \(Int(put.ours)) MB/s, nginx \(Int(put.nginx)) MB/s, the disk's durable rate \(Int(put.disk)) MB/s; "
                + "coffred CPU \(String(format: "%.2f", put.oursCPUPerGiB)) s per GiB received")
            report.putMBps.ours.append(put.ours)
            report.putMBps.nginx.append(put.nginx)
            report.putMBps.disk.append(put.disk)
        }
        let targets = try await transfers.prepareGetTargets()
        for round in 0..<environment.runs {
            for (index, target) in targets.enumerated() {
                let connections = index == 0 ? 8 : 64
                var results: [String: Wrk.Result] = [:]
                var cpuPerRequest: [String: Double] = [:]
                for server in round % 2 == 0 ? ["ours", "nginx"] : ["nginx", "ours"] {
                    let url = server == "ours" ? target.ours : target.nginx
                    // The server's CPU time per request: less moved by the other builds than req/s.
                    let pids = server == "ours" ? [coffred.process.processIdentifier] : environment.nginxPID.map(BenchEnvironment.children) ?? []
                    let before = pids.reduce(0) { $0 + BenchEnvironment.cpuSeconds(of: $1) }
                    let result = try Wrk.run(
                        url: url, connections: connections, seconds: environment.wrkSeconds,
                        token: server == "ours" ? client.token : nil)
                    let used = pids.reduce(0) { $0 + BenchEnvironment.cpuSeconds(of: $1) } - before
                    results[server] = result
                    cpuPerRequest[server] = used * 1e6 / max(1, result.requestsPerSecond * Double(environment.wrkSeconds))
                }
                let (ours, nginx) = (results["ours"]!, results["nginx"]!)
                print("  GET \(target.size) round \(round + 1): coffred \(Int(ours.requestsPerSecond)) req/s, nginx \(Int(nginx.requestsPerSecond)) req/s; "
                    + "server CPU per request: coffred \(Int(cpuPerRequest["ours"]!)) µs, nginx \(Int(cpuPerRequest["nginx"]!)) µs")
                if index == 0 {
                    report.getLargeMBps.ours.append(ours.requestsPerSecond * Double(4 << 20) / 1e6)
                    report.getLargeMBps.nginx.append(nginx.requestsPerSecond * Double(4 << 20) / 1e6)
                    report.getLargeFailures += ours.failures + nginx.failures
                } else {
                    report.getSmall.ours.append(ours)
                    report.getSmall.nginx.append(nginx)
                }
            }
        }
    } else {
        print("  no nginx (SYNC_BENCH_NGINX_URL): the side-by-side transfer figures are skipped")
    }

    let sync = SyncPathBench(coffred: coffred, http: http, client: client, vault: vault)
    print("  committing \(environment.entries) entries, 1,000 per commit, commits and feed pages in \(environment.wire.rawValue) …")
    report.commits = try await sync.commits(entries: environment.entries, wire: environment.wire)
    // Not exit(0) for the commits-only run: that would skip the defers and leave coffred running.
    if !environment.commitsOnly {
        report.feed = try await sync.feed(wire: environment.wire)
        print("  coffred RSS after the commits and the feed: \(coffred.residentBytes >> 20) MiB")
        report.wake = try await sync.wakeUps(pollers: 50, rounds: 20)
        let idle = try await SyncPathBench.idlePolls(count: environment.idlePolls, binary: environment.coffred)
        report.idle = (environment.idlePolls, idle.before, idle.waiting, idle.wakeP99)
    }
    report.print(load: BenchEnvironment.loadAverage)
} catch {
    FileHandle.standardError.write(Data("sync-bench: \(error)\n".utf8))
    exit(1)
}
