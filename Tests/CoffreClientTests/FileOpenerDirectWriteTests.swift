@testable import CoffreClient
import CoffreCrypto
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `FileOpener` writing a large file directly, its blocks going to the device in the background
/// (`BackgroundBlockWriter`) while the next pair is staged: a device that fails after earlier
/// pairs were written fails the file with its error and leaves the destination as it was,
/// every buffer back; a device that takes each write in small parts still gets every byte.
@Suite struct FileOpenerDirectWriteTests {
    static let cipher = PipelineFixtures.cipher()
    static let largest = Int(ChunkCipher.maximumPlaintextByteCount)
    /// About 16.8 MB in 7 chunks: written directly, in several background writes.
    static let lengths = [largest, 1, largest - 1, 17, largest, 65_536, largest]
    static let plaintexts: [[UInt8]] = lengths.enumerated().map { index, length in
        ChunkerFixtures.pseudoRandom(count: length, seed: 900 + UInt64(index))
    }
    static let chunks: [SealedChunk] = plaintexts.map { try! cipher.seal($0) }
    static let blobs = Dictionary(chunks.map { ($0.reference.blobID, $0.blob) }, uniquingKeysWith: { first, _ in first })
    static let preamble = Array("kept as it was".utf8)

    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    /// Opens the chunks with `opener` into a file holding `preamble`; returns the outcome and
    /// what the file holds afterwards.
    func open(with opener: FileOpener) async throws -> (Result<UInt64, any Error>, [UInt8]) {
        let fd = try directory.openFile("out-\(UUID())")
        defer { close(fd) }
        #expect(Self.preamble.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == Self.preamble.count)
        let outcome = try await withTimeout { () -> Result<UInt64, any Error> in
            do {
                return .success(try await opener.open(Self.chunks.map(\.reference), writingTo: fd, fetch: PipelineFixtures.fetcher(Self.blobs)))
            } catch {
                return .failure(error)
            }
        }
        #expect(opener.freeBufferCount == opener.bufferCount)
        return (outcome, try TemporaryDirectory.contents(of: fd))
    }

    @Test(arguments: [1, 2, 3])
    func aDeviceFailingAfterEarlierPairsWereWrittenLeavesTheFileAsItWas(failingCall: Int) async throws {
        let calls = Mutex(0)
        let full = PipelineError.destinationFailed(operation: "pwrite", errno: ENOSPC, detail: "No space left on device")
        let staging = DirectWriteStaging { (_: off_t, count: Int) throws(PipelineError) -> Int in
            let call = calls.withLock { calls in
                calls += 1
                return calls
            }
            if call == failingCall { throw full }
            return count
        }
        let opener = FileOpener(cipher: Self.cipher, workerCount: 2, staging: staging)
        let (outcome, contents) = try await open(with: opener)
        #expect(throws: full) { try outcome.get() }
        #expect(contents == Self.preamble)
        // The opener is still good for the next file, the failure not carried over.
        let (again, restored) = try await open(with: opener)
        #expect(try again.get() == UInt64(Self.lengths.reduce(0, +)))
        #expect(restored == Self.preamble + Self.plaintexts.flatMap { $0 })
    }

    @Test func aDeviceTakingEachWriteInPartsGetsEveryByte() async throws {
        // One block at a time: the most calls a run can take.
        let staging = DirectWriteStaging { (_: off_t, count: Int) throws(PipelineError) -> Int in
            min(count, DirectWriteStaging.blockSize)
        }
        let opener = FileOpener(cipher: Self.cipher, workerCount: 2, staging: staging)
        let (outcome, contents) = try await open(with: opener)
        #expect(try outcome.get() == UInt64(Self.lengths.reduce(0, +)))
        #expect(contents == Self.preamble + Self.plaintexts.flatMap { $0 })
    }
}
