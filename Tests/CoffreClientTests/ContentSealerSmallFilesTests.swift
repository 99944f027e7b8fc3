@testable import CoffreClient
import Foundation
import Synchronization
import Testing

/// Small files of one group are read into one shared buffer (`ContentSealer.sealSmallFiles`):
/// each file's blob holds its own bytes only, whatever the file read before it left in the
/// buffer, and a file that grew past the small-file limit after the scan goes through the
/// pipeline whole.
@Suite struct ContentSealerSmallFilesTests {
    @Test func eachFileOfAGroupIsSealedFromItsOwnBytes() async throws {
        let world = try await SyncWorld()
        let limit = SyncWorld.smallChunks.minimumSize
        let treePath = Mutex("")
        let grown = Atomic(false)
        let alpha = try await world.device("alpha") { configuration in
            configuration.faultHook = { point in
                // a-grows.bin was small at the scan; before it is opened it grows past the limit.
                guard case .openingForUpload("a-grows.bin") = point, !grown.exchange(true, ordering: .relaxed) else { return }
                let handle = FileHandle(forWritingAtPath: treePath.withLock { $0 } + "/a-grows.bin")!
                handle.seekToEndOfFile()
                handle.write(Data(SyncEngineTests.pseudoRandom(limit, seed: 99)))
                handle.closeFile()
            }
        }
        treePath.withLock { $0 = alpha.tree.path }
        // In scan order: the grown file fills the buffer past the limit, then files shorter
        // than what the one before them left in it.
        try alpha.tree.write("a-grows.bin", bytes: SyncEngineTests.pseudoRandom(100, seed: 1))
        try alpha.tree.write("b-full.bin", bytes: SyncEngineTests.pseudoRandom(limit, seed: 2))
        try alpha.tree.write("c-short.bin", bytes: SyncEngineTests.pseudoRandom(10, seed: 3))
        try alpha.tree.write("d-empty.bin", bytes: [])
        try alpha.tree.write("e-last.bin", bytes: SyncEngineTests.pseudoRandom(limit - 1, seed: 4))

        let report = try await alpha.sync()
        let didGrow = grown.load(ordering: .relaxed)
        #expect(didGrow)
        #expect(report.isIdentical && report.skipped.isEmpty)
        let beta = try await world.device("beta")
        try await beta.sync()
        let contents = try beta.contents()
        #expect(contents == (try alpha.contents()))
        guard case .file(let bytes, _, _) = contents["a-grows.bin"] else {
            Issue.record("a-grows.bin did not arrive as a file")
            return
        }
        #expect(bytes.count == 100 + limit)
        guard case .file(let short, _, _) = contents["c-short.bin"] else {
            Issue.record("c-short.bin did not arrive as a file")
            return
        }
        #expect(short == SyncEngineTests.pseudoRandom(10, seed: 3))
    }
}
