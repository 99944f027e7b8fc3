import CoffreClient
import CoffreCrypto
import CoffreProtocol
import Foundation
import HTTPServer
import HTTPTypes
import Synchronization

/// Blob transfers side by side with nginx: 4 MiB PUTs from 8 parallel uploads (ours hashes and
/// fsyncs each blob before answering; nginx's DAV PUT writes the file and renames it, without
/// fsync), and wrk GETs of a 4 MiB and a 4 KiB blob.
struct TransferBench {
    let http: HTTPClient
    let client: SyncAPIClient
    let vault: VaultID
    let nginxURL: String
    let nginxRoot: String
    let wrkSeconds: Int
    /// Where the disk-ceiling probe writes: a folder on the file system coffred's data is on.
    let probeFolder: String
    /// coffred's process, whose CPU seconds per GiB received each PUT round reports.
    let coffredPID: Int32

    static let blobBytes = 4 << 20
    static let parallelUploads = 8
    static let blobsPerRun = 64

    /// `count` blobs of `size` pseudo-random bytes (`fill`, seeded) and their ids.
    static func blobs(count: Int, size: Int, seed: UInt64) throws -> [(id: BlobID, bytes: [UInt8])] {
        var state = seed | 1
        return try (0..<count).map { _ in
            let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                fill(UnsafeMutableRawBufferPointer(buffer), state: &state)
                initialized = size
            }
            guard let id = BlobID(bytes: try SHA256.hash(bytes)) else { throw BenchFailure("SHA-256 failed") }
            return (id, bytes)
        }
    }

    /// Fills `buffer` (a whole number of 8-byte words, 8-byte aligned) with xorshift64* output
    /// from `state`, which it advances: random-looking bytes, as encrypted blobs are.
    static func fill(_ buffer: UnsafeMutableRawBufferPointer, state: inout UInt64) {
        let words = buffer.bindMemory(to: UInt64.self)
        for index in words.indices {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            words[index] = state &* 2_685_821_657_736_338_717
        }
    }

    /// MB/s (10^6 bytes) of `blobs` uploaded by `parallelUploads` tasks, through `put`.
    static func upload(
        _ blobs: [(id: BlobID, bytes: [UInt8])], _ put: @escaping @Sendable ((id: BlobID, bytes: [UInt8])) async throws -> Void
    ) async throws -> Double {
        let next = Shared(0)
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<parallelUploads {
                group.addTask {
                    while true {
                        let index = next.update { value -> Int in
                            defer { value += 1 }
                            return value
                        }
                        guard index < blobs.count else { return }
                        try await put(blobs[index])
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(blobs.count * blobs[0].bytes.count) / seconds(since: start) / 1e6
    }

    /// One PUT round for ours and for nginx, fresh bytes each, and the disk's own durable rate
    /// for the same files (`DiskCeilingProbe`) in between: MB/s of each, and coffred's CPU
    /// seconds (/proc/PID/stat) per GiB it received.
    func putRound(_ round: Int) async throws -> (ours: Double, nginx: Double, disk: Double, oursCPUPerGiB: Double) {
        let client = self.client
        let vault = self.vault
        let http = self.http
        let nginx = nginxURL
        let ours = try Self.blobs(count: Self.blobsPerRun, size: Self.blobBytes, seed: UInt64(round) * 2 + 1)
        let theirs = try Self.blobs(count: Self.blobsPerRun, size: Self.blobBytes, seed: UInt64(round) * 2 + 2)
        var result = (ours: 0.0, nginx: 0.0, disk: 0.0, oursCPUPerGiB: 0.0)
        // Alternate which server goes first, so drift on the shared machine hits both; the disk
        // probe always runs between them.
        for server in round % 2 == 0 ? ["ours", "disk", "nginx"] : ["nginx", "disk", "ours"] {
            await BenchEnvironment.settle()
            if server == "disk" {
                let probe = DiskCeilingProbe(folder: probeFolder, parallelWriters: Self.parallelUploads)
                result.disk = try probe.measure(files: Self.blobsPerRun, size: Self.blobBytes)
            } else if server == "ours" {
                let cpuBefore = BenchEnvironment.cpuSeconds(of: coffredPID)
                result.ours = try await Self.upload(ours) { blob in
                    guard try await client.putBlob(vault, blob.id, bytes: blob.bytes) else { throw BenchFailure("blob existed") }
                }
                let gibibytes = Double(ours.count * Self.blobBytes) / Double(1 << 30)
                result.oursCPUPerGiB = (BenchEnvironment.cpuSeconds(of: coffredPID) - cpuBefore) / gibibytes
            } else {
                result.nginx = try await Self.upload(theirs) { blob in
                    let request = try HTTPClientRequest(
                        method: .put, url: "\(nginx)/upload/r\(round)-\(blob.id.hex)", body: .bytes(blob.bytes))
                    let response = try await http.execute(request)
                    _ = try await response.body.collect(upTo: 1 << 16)
                    guard [201, 204].contains(response.status.code) else { throw BenchFailure("nginx PUT: \(response.status.code)") }
                }
            }
        }
        return result
    }

    /// Blobs of 4 MiB and 4 KiB, stored in our vault and as files nginx serves; the URLs wrk gets.
    func prepareGetTargets() async throws -> [(size: String, ours: String, nginx: String)] {
        var targets: [(String, String, String)] = []
        for (label, size) in [("4 MiB", 4 << 20), ("4 KiB", 4 << 10)] {
            let blob = try Self.blobs(count: 1, size: size, seed: UInt64(size))[0]
            try await client.putBlob(vault, blob.id, bytes: blob.bytes)
            let name = "get-\(size).bin"
            try Data(blob.bytes).write(to: URL(fileURLWithPath: nginxRoot + "/" + name))
            targets.append((label, client.server.description + SyncPath.blob(vault, blob.id), "\(nginxURL)/\(name)"))
        }
        return targets
    }
}

/// Runs wrk and reads its summary.
enum Wrk {
    struct Result {
        let requestsPerSecond: Double
        let p99Milliseconds: Double
        let failures: Int
    }

    static func run(url: String, connections: Int, seconds: Int, token: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = ["wrk", "-t2", "-c\(connections)", "-d\(seconds)s", "--latency"]
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        process.arguments = arguments + [url]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        var rps = 0.0
        var p99 = 0.0
        var failures = 0
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("Requests/sec:"), fields.count >= 2 { rps = Double(fields[1]) ?? 0 }
            if fields.first == "99%", fields.count >= 2 { p99 = milliseconds(String(fields[1])) }
            if line.contains("Non-2xx or 3xx responses:"), let count = fields.last.flatMap({ Int($0) }) { failures += count }
            if line.contains("Socket errors:") {
                failures += fields.compactMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: ","))) }.reduce(0, +)
            }
        }
        guard rps > 0 else { throw BenchFailure("wrk printed no result for \(url): \(text)") }
        return Result(requestsPerSecond: rps, p99Milliseconds: p99, failures: failures)
    }

    private static func milliseconds(_ text: String) -> Double {
        if text.hasSuffix("us") { return (Double(text.dropLast(2)) ?? 0) / 1000 }
        if text.hasSuffix("ms") { return Double(text.dropLast(2)) ?? 0 }
        if text.hasSuffix("s") { return (Double(text.dropLast()) ?? 0) * 1000 }
        return Double(text) ?? 0
    }
}
