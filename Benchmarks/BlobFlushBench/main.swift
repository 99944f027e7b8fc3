// blob-flush-bench: the durable-upload sequences of the disk blob store, timed on the disk the
// store would use (docs/performance.md, "Durable uploads"). Usage:
//   blob-flush-bench put|batch|store [directory] [rounds]
// put:   8 threads × 8 blobs of 4 MiB per round through raw system calls, one variant of the
//        flush sequence per line (fsync or fdatasync, with or without sync_file_range).
// batch: 2,000 blobs of 4 KiB (BLOB_FLUSH_BENCH_BLOBS) published like DiskBlobBatch: fsync each file and each
//        directory (16 at a time) against one syncfs(2) before and one after the renames.
// store: 8 threads × 8 blobs of 4 MiB through DiskBlobStore's public API, into a fresh
//        namespace each round (so fan-out directories are created, as in a new vault).
// Variants alternate within each round; the figure is the median of the rounds.
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 2, ["put", "batch", "store"].contains(arguments[1]) else {
    FileHandle.standardError.write(Data("usage: blob-flush-bench put|batch|store [directory] [rounds]\n".utf8))
    exit(2)
}
let base = arguments.count >= 3 ? arguments[2] : NSTemporaryDirectory()
let rounds = arguments.count >= 4 ? max(1, Int(arguments[3]) ?? 5) : 5
let directory = base + "/blob-flush-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }

var results: [String: [Double]] = [:]
var order: [String] = []
for round in 1...rounds {
    let measured: [(String, Double)]
    switch arguments[1] {
    case "put": measured = RawPutBench.round(in: directory, round: round)
    case "batch": measured = RawBatchBench.round(in: directory, round: round)
    default: measured = StoreBench.round(in: directory, round: round)
    }
    for (name, value) in measured {
        if results[name] == nil { order.append(name) }
        results[name, default: []].append(value)
        print("round \(round) \(name): \(String(format: "%.0f", value))")
    }
}
print("median of \(rounds) rounds:")
for name in order {
    let values = results[name]!.sorted()
    print("  \(name): \(String(format: "%.0f", values[values.count / 2])) (\(values.map { String(format: "%.0f", $0) }.joined(separator: " / ")))")
}
