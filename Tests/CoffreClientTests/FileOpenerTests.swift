@testable import CoffreClient
import CoffreCrypto
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct FileOpenerTests {
    /// A file of several chunks, sealed once for every test of the suite.
    static let data = ChunkerFixtures.pseudoRandom(count: 7 << 20, seed: 404)
    /// Bytes already in the destination before `open`: a failed run must leave exactly these.
    static let preamble = Array("kept as it was".utf8)

    let sealed: PipelineFixtures.Sealed
    let opener = FileOpener(cipher: PipelineFixtures.cipher(), workerCount: 3)
    let directory: TemporaryDirectory

    init() async throws {
        let sealer = FileSealer(chunker: try PipelineFixtures.chunker(), cipher: PipelineFixtures.cipher(), workerCount: 2)
        sealed = try await withTimeout { try await PipelineFixtures.seal(Self.data, with: sealer) }
        directory = try TemporaryDirectory()
    }

    /// Opens the sealed file into a destination that already holds `preamble` (positioned
    /// after it) with `fetch`; returns the outcome and the destination's content afterwards.
    func open(
        _ chunks: [ChunkReference]? = nil, fetch: @escaping PipelineFixtures.Fetch
    ) async throws -> (Result<UInt64, any Error>, [UInt8], off_t) {
        let fd = try directory.openFile("out-\(UUID())")
        defer { close(fd) }
        #expect(Self.preamble.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == Self.preamble.count)
        let chunks = chunks ?? sealed.file.chunks
        let opener = opener
        let outcome = try await withTimeout { () -> Result<UInt64, any Error> in
            do { return .success(try await opener.open(chunks, writingTo: fd, fetch: fetch)) } catch { return .failure(error) }
        }
        #expect(opener.freeBufferCount == opener.bufferCount)
        return (outcome, try TemporaryDirectory.contents(of: fd), lseek(fd, 0, SEEK_CUR))
    }

    /// A failed open that must leave the destination as it was.
    func expectFailure<E: Error & Equatable>(
        _ expected: E, chunks: [ChunkReference]? = nil, fetch: @escaping PipelineFixtures.Fetch,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        #expect(sealed.file.chunks.count >= 4, sourceLocation: sourceLocation)
        let (outcome, contents, offset) = try await open(chunks, fetch: fetch)
        #expect(throws: expected, sourceLocation: sourceLocation) { try outcome.get() }
        #expect(contents == Self.preamble, sourceLocation: sourceLocation)
        #expect(offset == off_t(Self.preamble.count), sourceLocation: sourceLocation)
        // And the opener is still good for the next file.
        let (again, restored, _) = try await open(fetch: PipelineFixtures.fetcher(PipelineFixtures.store(sealed)))
        #expect(try again.get() == UInt64(Self.data.count), sourceLocation: sourceLocation)
        #expect(restored == Self.preamble + Self.data, sourceLocation: sourceLocation)
    }

    /// A fetcher over the sealed blobs with chunk `index`'s blob replaced by `replace`'s result.
    func fetcher(replacing index: Int, with replace: @escaping @Sendable ([UInt8]) -> [UInt8]) -> PipelineFixtures.Fetch {
        let store = PipelineFixtures.store(sealed)
        let target = sealed.ids[index]
        return { id, buffer in
            guard let blob = store[id] else { throw PipelineFixtures.MissingBlob() }
            try buffer.append(id == target ? replace(blob) : blob)
        }
    }

    @Test func writesAfterWhatTheDestinationHolds() async throws {
        let (outcome, contents, offset) = try await open(fetch: PipelineFixtures.fetcher(PipelineFixtures.store(sealed)))
        #expect(try outcome.get() == UInt64(Self.data.count))
        #expect(contents == Self.preamble + Self.data)
        #expect(offset == off_t(Self.preamble.count + Self.data.count))
    }

    @Test func anEmptyManifestWritesNothing() async throws {
        let (outcome, contents, _) = try await open([], fetch: { _, _ in Issue.record("nothing to fetch") })
        #expect(try outcome.get() == 0)
        #expect(contents == Self.preamble)
    }

    // Blob ids are not hashed (`openCommitted`): the tag under the manifest's key refuses
    // every substitute the server can make, whatever id it is served under.
    static let tagFailed = CryptoFormatError.authenticationFailed(structure: "chunk blob")

    @Test func aTamperedBlobIsRejected() async throws {
        try await expectFailure(PipelineError.chunkRejected(index: 2, reason: Self.tagFailed), fetch: fetcher(replacing: 2) { blob in
            var tampered = blob
            tampered[tampered.count / 2] ^= 0x01
            return tampered
        })
    }

    @Test func aSwappedBlobIsRejected() async throws {
        let other = sealed.blobs[3]
        try await expectFailure(PipelineError.chunkRejected(index: 1, reason: Self.tagFailed), fetch: fetcher(replacing: 1) { _ in other })
    }

    @Test func aTruncatedBlobIsRejected() async throws {
        try await expectFailure(PipelineError.chunkRejected(index: 3, reason: Self.tagFailed), fetch: fetcher(replacing: 3) { Array($0.dropLast(1)) })
    }

    /// The plaintext of chunk `index` of the sealed file.
    func plaintext(of index: Int) -> [UInt8] {
        let start = sealed.file.chunks[..<index].reduce(0) { $0 + Int($1.length) }
        return Array(Self.data[start..<(start + Int(sealed.file.chunks[index].length))])
    }

    @Test func theSameChunkSealedInAnotherVaultIsRejected() async throws {
        // Same plaintext, another vault's convergence key: another chunk key, so the tag fails.
        let elsewhere = try ChunkCipher(convergenceKey: SecretBytes(randomCount: 32)).seal(plaintext(of: 2)).blob
        try await expectFailure(PipelineError.chunkRejected(index: 2, reason: Self.tagFailed), fetch: fetcher(replacing: 2) { _ in elsewhere })
    }

    @Test func aRepaddedOrExtendedBlobIsRejected() async throws {
        // More zero bytes before the tag (a larger Padmé bucket), or after it.
        try await expectFailure(PipelineError.chunkRejected(index: 1, reason: Self.tagFailed), fetch: fetcher(replacing: 1) { blob in
            var repadded = blob
            repadded.insert(contentsOf: [UInt8](repeating: 0, count: 64), at: blob.count - 16)
            return repadded
        })
        try await expectFailure(PipelineError.chunkRejected(index: 1, reason: Self.tagFailed), fetch: fetcher(replacing: 1) { $0 + [0] })
    }

    @Test func aFlippedVersionByteOrTagIsRejected() async throws {
        try await expectFailure(
            PipelineError.chunkRejected(index: 0, reason: .unsupportedVersion(structure: "chunk blob", version: 0x81)),
            fetch: fetcher(replacing: 0) { blob in
                var flipped = blob
                flipped[0] ^= 0x80
                return flipped
            })
        try await expectFailure(PipelineError.chunkRejected(index: 3, reason: Self.tagFailed), fetch: fetcher(replacing: 3) { blob in
            var flipped = blob
            flipped[blob.count - 1] ^= 0x01
            return flipped
        })
    }

    @Test func aReferenceWithAnotherKeyFailsTheTag() async throws {
        // Right id, wrong key (a manifest pointing at another chunk's key): the GCM tag fails.
        var chunks = sealed.file.chunks
        chunks[2] = try ChunkReference(blobID: chunks[2].blobID, key: chunks[0].key, length: chunks[2].length)
        try await expectFailure(
            PipelineError.chunkRejected(index: 2, reason: .authenticationFailed(structure: "chunk blob")), chunks: chunks,
            fetch: PipelineFixtures.fetcher(PipelineFixtures.store(sealed)))
    }

    @Test func aMissingBlobStopsWithTheFetchersError() async throws {
        let store = PipelineFixtures.store(sealed).filter { $0.key != sealed.ids[2] }
        try await expectFailure(PipelineFixtures.MissingBlob(), fetch: PipelineFixtures.fetcher(store))
    }

    @Test func anOversizedBlobIsRefusedWhileFetching() async throws {
        let limit = ChunkCipher.maximumBlobByteCount
        try await expectFailure(PipelineError.blobTooLarge(index: 1, limit: limit), fetch: fetcher(replacing: 1) { _ in
            [UInt8](repeating: 7, count: limit + 1)
        })
        // Piecewise too: a server that streams chunk 0 without end is cut off at the limit. Only
        // that chunk streams endlessly (the others are fetched at the same time, so an endless
        // stream on each would make the reported index a race).
        let store = PipelineFixtures.store(sealed)
        let endless = sealed.ids[0]
        try await expectFailure(PipelineError.blobTooLarge(index: 0, limit: limit), fetch: { id, buffer in
            guard id == endless else { return try buffer.append(store[id]!) }
            while true { _ = try await buffer.append { space in space.initializeMemory(as: UInt8.self, repeating: 1); return space.count } }
        })
    }

    @Test func aZeroLengthReferenceIsRefused() async throws {
        var chunks = sealed.file.chunks
        chunks[1] = try ChunkReference(blobID: chunks[1].blobID, key: chunks[1].key, length: 0)
        try await expectFailure(PipelineError.invalidManifest("a chunk of length 0"), chunks: chunks, fetch: { _, _ in })
    }

    @Test func cancellationWhileFetchingStopsAndCutsBack() async throws {
        let store = PipelineFixtures.store(sealed)
        let (reached, signal) = AsyncStream.makeStream(of: Void.self)
        let stalled = sealed.ids[3]
        let fetch: PipelineFixtures.Fetch = { id, buffer in
            if id == stalled {
                signal.yield()
                try await Task.sleep(for: .seconds(3600))
            }
            try buffer.append(store[id]!)
        }
        let fd = try directory.openFile("cancelled")
        defer { close(fd) }
        #expect(Self.preamble.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == Self.preamble.count)
        let opener = opener
        let chunks = sealed.file.chunks
        let task = Task { try await opener.open(chunks, writingTo: fd, fetch: fetch) }
        try await withTimeout {
            for await _ in reached { break }
            task.cancel()
            await #expect(throws: CancellationError.self) { _ = try await task.value }
        }
        #expect(try TemporaryDirectory.contents(of: fd) == Self.preamble)
        #expect(opener.freeBufferCount == opener.bufferCount)
    }

    @Test func destinationErrorsCarryErrno() async throws {
        let store = PipelineFixtures.store(sealed)
        let path = directory.url.appendingPathComponent("read-only").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let readOnly = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        defer { close(readOnly) }
        let opener = opener
        let chunks = sealed.file.chunks
        for (fd, operation) in [(readOnly, "write"), (Int32(-1), "fstat")] {
            let outcome = try await withTimeout { () -> Result<UInt64, any Error> in
                do { return .success(try await opener.open(chunks, writingTo: fd, fetch: PipelineFixtures.fetcher(store))) } catch { return .failure(error) }
            }
            let expected = PipelineError.destinationFailed(operation: operation, errno: EBADF, detail: String(cString: strerror(EBADF)))
            #expect(throws: expected) { try outcome.get() }
        }
        #expect(opener.freeBufferCount == opener.bufferCount)
    }
}
