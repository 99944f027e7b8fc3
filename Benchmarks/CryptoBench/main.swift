// crypto-bench: throughput of the client's encryption pipeline and of each of its primitives,
// in MB/s (10^6 bytes per second). `make bench-crypto` builds it in release mode and runs it.
// CRYPTO_BENCH_MIB sets the input size (default 1024 MiB). docs/performance.md reads the output.
import CoffreClient
import CoffreCrypto
import Foundation

let mebibytes = ProcessInfo.processInfo.environment["CRYPTO_BENCH_MIB"].flatMap { Int($0) } ?? 1024
guard (8...65_536).contains(mebibytes) else {
    FileHandle.standardError.write(Data("CRYPTO_BENCH_MIB must be 8...65536\n".utf8))
    exit(2)
}
// CRYPTO_BENCH_PAIRING_ROUNDS: how many times the one-worker sealer runs with and without
// paired hashing, in turn (default 3); the report shows the medians.
let pairingRounds = max(1, ProcessInfo.processInfo.environment["CRYPTO_BENCH_PAIRING_ROUNDS"].flatMap { Int($0) } ?? 3)
let cpuCount = ProcessInfo.processInfo.activeProcessorCount
let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "unknown"

print("crypto-bench: \(mebibytes) MiB of random bytes, \(cpuCount) CPUs, load average \(load)")
if let busy = Double(load.split(separator: " ").first ?? ""), busy >= 1 {
    print("  the load average is high: other processes share the CPUs, so wall-clock figures run low;")
    print("  CPU-time figures (bytes per CPU second) are the ones to compare")
}

// CRYPTO_BENCH_SCAN_ROUNDS: rounds of the cut-search comparison (default 5);
// CRYPTO_BENCH_SCAN_ONLY=1 runs only that comparison.
let scanRounds = max(1, ProcessInfo.processInfo.environment["CRYPTO_BENCH_SCAN_ROUNDS"].flatMap { Int($0) } ?? 5)
let scanOnly = ProcessInfo.processInfo.environment["CRYPTO_BENCH_SCAN_ONLY"] == "1"

do {
    let input = try BenchInput(byteCount: mebibytes << 20)
    let chunker = try Chunker(key: try SecureRandom.bytes(count: 32))
    let scan = ScanBench(input: UnsafeRawBufferPointer(input.bytes), chunker: chunker).run(rounds: scanRounds)
    let scanRatios = scan.rounds.map { String(format: "%.3f", $0.current.cpuMBps / $0.baseline.cpuMBps) }
    print("cut search / baseline scanner, CPU MB/s, round by round: \(scanRatios.joined(separator: " "))")
    for figure in [scan.baseline, scan.current] {
        print("  \(figure.name) (median): " + String(format: "%.0f MB per CPU-s, %.3f CPU-s per GiB", figure.cpuMBps, 1073.741824 / figure.cpuMBps))
    }
    if scanOnly { exit(0) }
    let convergence = try SecretBytes(randomCount: 32)
    let cipher = ChunkCipher(convergenceKey: convergence)

    var primitives = PrimitiveBench(input: UnsafeRawBufferPointer(input.bytes), chunker: chunker, convergenceKey: convergence)
    let parts = [primitives.chunking(), try primitives.chunkKeys(), try primitives.sealing(), try primitives.hashing()]
    let paired = try primitives.pairedHashing()
    // OpenSSL's AES-GCM next to the one the pipeline runs (the vector code on a CPU with VAES).
    let sealingBaseline = AES256GCM.Implementation.preferred == .openSSL ? nil : try primitives.sealing(.openSSL)
    let pipeline = PipelineBench(input: input, chunker: chunker, cipher: cipher, cpuCount: cpuCount)
    // Unpaired, then paired, on the same CPU, `pairingRounds` times in turn: each pair of figures
    // meets about the same load, and the report keeps the median of each.
    var unpairedRuns: [Measurement] = []
    var pairedRuns: [Measurement] = []
    for _ in 0..<(SHA256Pair.isAvailable ? pairingRounds : 1) {
        if SHA256Pair.isAvailable { unpairedRuns.append(try await pipeline.sealing(workers: 1, cpu: 0, pairsHashes: false)) }
        pairedRuns.append(try await pipeline.sealing(workers: 1, cpu: 0))
    }
    let oneWorkerUnpaired = unpairedRuns.isEmpty ? nil : Measurement.median(unpairedRuns)
    let oneWorker = Measurement.median(pairedRuns)
    if unpairedRuns.count > 1 {
        let ratios = zip(pairedRuns, unpairedRuns).map { String(format: "%.3f", $0.cpuMBps / $1.cpuMBps) }
        print("paired / unpaired, 1 worker on CPU 0, CPU MB/s, round by round: \(ratios.joined(separator: " "))")
    }
    let allWorkers = try await pipeline.sealing(workers: cpuCount, cpu: nil)
    let (file, store) = try await pipeline.sealedBlobs()
    // Opening (`openCommitted`: the key commitment, no blob id hash), 1 worker on CPU 0, as
    // many rounds as the sealing pairs: the report keeps the median.
    var openRuns: [Measurement] = []
    for _ in 0..<(SHA256Pair.isAvailable ? pairingRounds : 1) {
        openRuns.append(try await pipeline.opening(file, from: store, workers: 1, cpu: 0))
    }
    let openOne = Measurement.median(openRuns)
    let openAll = try await pipeline.opening(file, from: store, workers: cpuCount, cpu: nil)

    let report = BenchReport(
        primitives: parts, sealingBaseline: sealingBaseline, pairedHashing: paired, sealOneUnpaired: oneWorkerUnpaired, sealOne: oneWorker, sealAll: allWorkers, openOne: openOne, openAll: openAll)
    report.print()
} catch {
    FileHandle.standardError.write(Data("crypto-bench: \(error)\n".utf8))
    exit(1)
}
