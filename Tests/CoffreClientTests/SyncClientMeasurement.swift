@testable import CoffreClient
import CoffreProtocol
import Foundation
import Glibc
import Testing

/// A by-hand measurement of the sync client against the in-process server (no HTTP), off
/// unless `COFFRE_SYNC_CLIENT_MEASURE` is set; it prints figures and asserts only
/// correctness. Run it in release mode, one scenario at a time:
///
///     COFFRE_SYNC_CLIENT_MEASURE=1 swift test -c release --filter SyncClientMeasurement/smallFiles
///
/// Scenarios follow issue 6's targets: 10,000 files of 4 KiB from A to B; 1 GiB from A to B,
/// then a 10-byte edit in it; a pass with nothing to do over 100,000 files of 100 bytes in 100
/// folders (`COFFRE_SYNC_CLIENT_MEASURE_FILES` changes the count). docs/sync-client.md,
/// "Performance", records the figures.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["COFFRE_SYNC_CLIENT_MEASURE"] != nil), .serialized)
struct SyncClientMeasurement {
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// Resident set size now and at its peak, MiB (/proc/self/status VmRSS, VmHWM).
    static func residentMiB() -> (now: Double, peak: Double) {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Double {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return 0 }
            return Double(line.split(separator: " ").dropFirst().first ?? "0").map { $0 / 1024 } ?? 0
        }
        return (field("VmRSS:"), field("VmHWM:"))
    }

    /// Resets the peak RSS to the current one (proc(5), /proc/pid/clear_refs: "5").
    static func resetPeak() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// Runs `body`, prints wall and CPU seconds under `label`.
    static func measure<T>(_ label: String, _ body: () async throws -> T) async rethrows -> T {
        let clock = ContinuousClock()
        let (start, cpu) = (clock.now, cpuSeconds())
        let result = try await body()
        let wall = clock.now - start
        let seconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        print(String(format: "%@: %.2f s wall, %.2f s CPU", label, seconds, cpuSeconds() - cpu))
        return result
    }

    static func production(_ configuration: inout SyncConfiguration) {
        configuration.chunkingParameters = .production
        configuration.pipelineWorkers = FileSealer.defaultWorkerCount
    }

    @Test func smallFiles() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha", configure: Self.production)
        let beta = try await world.device("beta", configure: Self.production)
        for folder in 0..<10 { try alpha.tree.folder("f\(folder)") }
        for index in 0..<10_000 {
            try alpha.tree.write("f\(index % 10)/file\(index).bin", bytes: SyncEngineTests.pseudoRandom(4096, seed: UInt64(index + 1)))
        }
        let up = try await Self.measure("10,000 × 4 KiB, A uploads") { try await alpha.sync() }
        let down = try await Self.measure("10,000 × 4 KiB, B downloads") { try await beta.sync() }
        print("  uploaded \(up.uploadedFiles) files, \(up.uploadedBytes) bytes; downloaded \(down.downloadedFiles) files, \(down.downloadedBytes) bytes")
        #expect(up.uploadedFiles == 10_000 && down.downloadedFiles == 10_000)
    }

    @Test func oneGibibyteAndATenByteEdit() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha", configure: Self.production)
        let beta = try await world.device("beta", configure: Self.production)
        let fd = open(alpha.tree.absolute("big.img"), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var block = [UInt64](repeating: 0, count: 1 << 19)  // 4 MiB
        for _ in 0..<256 {
            for index in block.indices {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                block[index] = state
            }
            _ = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }
        close(fd)
        let up = try await Self.measure("1 GiB, A uploads") { try await alpha.sync() }
        let down = try await Self.measure("1 GiB, B downloads") { try await beta.sync() }
        print("  wire: \(up.uploadedBytes) bytes up, \(down.downloadedBytes) bytes down")
        #expect(up.uploadedFiles == 1 && down.downloadedFiles == 1)

        let edit = open(alpha.tree.absolute("big.img"), O_WRONLY)
        _ = "ten bytes!".withCString { pwrite(edit, $0, 10, 512 << 20) }
        close(edit)
        world.shelf.resetCounters()
        let editUp = try await Self.measure("10-byte edit, A uploads") { try await alpha.sync() }
        let editDown = try await Self.measure("10-byte edit, B downloads") { try await beta.sync() }
        let counters = world.shelf.counters
        print("  wire: \(editUp.uploadedBytes) bytes up (\(counters.blobsPut) blobs), \(editDown.downloadedBytes) bytes down (\(counters.blobsFetched) blobs), \(editDown.copiedBytes) bytes copied locally; \(String(format: "%.2f", Double(counters.bytesPut + counters.bytesFetched) / 1_048_576)) MiB on the wire in all")
        print(String(format: "  peak RSS %.0f MiB", Self.residentMiB().peak))
        #expect(editDown.downloadedFiles == 1)
    }

    @Test func noChangePassOverManyFiles() async throws {
        let count = ProcessInfo.processInfo.environment["COFFRE_SYNC_CLIENT_MEASURE_FILES"].flatMap(Int.init) ?? 100_000
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha", configure: Self.production)
        for folder in 0..<100 { try alpha.tree.folder("d\(folder)") }
        let hundred = [UInt8](repeating: 0x61, count: 100)
        for index in 0..<count {
            var bytes = hundred
            withUnsafeBytes(of: UInt64(index).littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
            try alpha.tree.write("d\(index % 100)/f\(index)", bytes: bytes)
        }
        let first = try await Self.measure("\(count) × 100 B, first pass (upload)") { try await alpha.sync() }
        #expect(first.uploadedFiles == count)
        let before = Self.residentMiB()
        Self.resetPeak()
        for attempt in 1...3 {
            let again = try await Self.measure("\(count) files, pass with nothing to do (\(attempt))") { try await alpha.sync() }
            #expect(again.isIdentical && again.changedNothing)
        }
        let after = Self.residentMiB()
        print(String(format: "  RSS %.0f MiB before the passes (in-process server included), peak during them %.0f MiB: %.0f MiB for the passes", before.now, after.peak, after.peak - before.now))
    }
}
