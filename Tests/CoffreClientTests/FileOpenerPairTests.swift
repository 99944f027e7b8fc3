@testable import CoffreClient
import CoffreCrypto
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `FileOpener` opens the chunks of a manifest two at a time (chunks 2p and 2p + 1 in one
/// buffer, `OpeningWorker`): every count of chunks, odd or even, writes the plaintexts in
/// order; a chunk refused in either place of a pair, or alone at the end of an odd count,
/// fails the file with the refusal that chunk gets when opened alone, at its own index, and
/// leaves the destination as it was.
@Suite struct FileOpenerPairTests {
    static let cipher = PipelineFixtures.cipher()
    static let largest = Int(ChunkCipher.maximumPlaintextByteCount)
    /// Chunks sealed directly (`ChunkCipher.seal`), lengths at the edges: one byte, the
    /// largest, one less than the largest, and in between.
    static let lengths = [1, largest, largest - 1, 17, 65_536, largest, 3]
    static let chunks: [SealedChunk] = lengths.enumerated().map { index, length in
        try! cipher.seal(ChunkerFixtures.pseudoRandom(count: length, seed: 700 + UInt64(index)))
    }
    static let plaintexts: [[UInt8]] = lengths.enumerated().map { index, length in
        ChunkerFixtures.pseudoRandom(count: length, seed: 700 + UInt64(index))
    }
    static let preamble = Array("before the download".utf8)

    let opener = FileOpener(cipher: cipher, workerCount: 2)
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    /// Opens `references`, serving `blobs` by id, into a destination that holds `preamble`;
    /// returns the outcome, what the destination holds afterwards and its offset.
    func open(_ references: [ChunkReference], blobs: [[UInt8]: [UInt8]]) async throws -> (Result<UInt64, any Error>, [UInt8], off_t) {
        let fd = try directory.openFile("out-\(UUID())")
        defer { close(fd) }
        #expect(Self.preamble.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == Self.preamble.count)
        let opener = opener
        let outcome = try await withTimeout { () -> Result<UInt64, any Error> in
            do {
                return .success(try await opener.open(references, writingTo: fd, fetch: PipelineFixtures.fetcher(blobs)))
            } catch {
                return .failure(error)
            }
        }
        #expect(opener.freeBufferCount == opener.bufferCount)
        return (outcome, try TemporaryDirectory.contents(of: fd), lseek(fd, 0, SEEK_CUR))
    }

    static func store(_ chunks: [SealedChunk]) -> [[UInt8]: [UInt8]] {
        Dictionary(chunks.map { ($0.reference.blobID, $0.blob) }, uniquingKeysWith: { first, _ in first })
    }

    @Test(arguments: 1...7)
    func everyCountOfChunksOpensInOrder(count: Int) async throws {
        let chunks = Array(Self.chunks.prefix(count))
        // From three chunks on, 8 MiB or more: written directly (FileDescriptorDestination).
        let (outcome, contents, offset) = try await open(chunks.map(\.reference), blobs: Self.store(chunks))
        let plaintext = Self.plaintexts.prefix(count).flatMap { $0 }
        #expect(try outcome.get() == UInt64(plaintext.count))
        #expect(contents == Self.preamble + plaintext)
        #expect(offset == off_t(Self.preamble.count + plaintext.count))
    }

    @Test func theSameChunkTwiceInAPairOpensTwice() async throws {
        // One blob fetched into both places of a buffer.
        let chunk = Self.chunks[1]
        let (outcome, contents, _) = try await open([chunk.reference, chunk.reference, chunk.reference], blobs: Self.store([chunk]))
        #expect(try outcome.get() == 3 * UInt64(Self.largest))
        #expect(contents == Self.preamble + Self.plaintexts[1] + Self.plaintexts[1] + Self.plaintexts[1])
    }

    /// A way a chunk can be refused: what is served (or referenced) instead of the honest one.
    enum Refusal: String, CaseIterable, CustomTestStringConvertible {
        case tampered, truncated, extended, otherChunksBlob, sealedInAnotherVault, keyNotCommitted
        var testDescription: String { rawValue }
    }

    /// Chunk `index` of `chunks` spoiled as `refusal` says: the reference to put in the
    /// manifest and the blob served under its id.
    static func spoil(_ index: Int, _ refusal: Refusal, in chunks: [SealedChunk]) throws -> (ChunkReference, [UInt8]) {
        let honest = chunks[index]
        switch refusal {
        case .tampered:
            var blob = honest.blob
            blob[blob.count / 2] ^= 0x20
            return (honest.reference, blob)
        case .truncated:
            return (honest.reference, Array(honest.blob.dropLast()))
        case .extended:
            return (honest.reference, honest.blob + [0])
        case .otherChunksBlob:
            return (honest.reference, chunks[(index + 1) % chunks.count].blob)
        case .sealedInAnotherVault:
            // The same plaintext under another convergence key: another chunk key, the tag fails.
            return (honest.reference, try ChunkCipher(convergenceKey: SecretBytes(randomCount: 32)).seal(plaintexts[index]).blob)
        case .keyNotCommitted:
            // A member's manifest: a blob and key that open, but whose plaintext this vault's
            // convergence key does not commit to.
            let foreign = try ChunkCipher(convergenceKey: SecretBytes(randomCount: 32)).seal(plaintexts[index])
            return (foreign.reference, foreign.blob)
        }
    }

    /// Five chunks: pairs (0, 1), (2, 3) and chunk 4 alone. Each position refused each way
    /// fails the file at that position, with the error that chunk gets opened alone.
    @Test(arguments: Refusal.allCases, 0..<5)
    func aRefusedChunkFailsTheFileAsItWouldAlone(refusal: Refusal, position: Int) async throws {
        let chunks = Array(Self.chunks.prefix(5))
        var references = chunks.map(\.reference)
        var blobs = Self.store(chunks)
        let (reference, blob) = try Self.spoil(position, refusal, in: chunks)
        references[position] = reference
        blobs[reference.blobID] = blob
        let expected: PipelineError
        if blob.count > ChunkCipher.maximumBlobByteCount {
            // The largest chunk extended: more than a buffer takes, refused while fetching.
            expected = .blobTooLarge(index: position, limit: ChunkCipher.maximumBlobByteCount)
        } else {
            let alone = Result { () throws(CryptoFormatError) in
                try ByteAccess.with(blob) { (raw: UnsafeRawBufferPointer) throws(CryptoFormatError) in
                    try Self.cipher.openCommitted(raw, reference: reference)
                }
            }
            expected = .chunkRejected(index: position, reason: try #require(alone.failure))
        }
        let (outcome, contents, offset) = try await open(references, blobs: blobs)
        #expect(throws: expected) { try outcome.get() }
        #expect(contents == Self.preamble)
        #expect(offset == off_t(Self.preamble.count))
        // The opener is still good for the next file.
        let (again, restored, _) = try await open(chunks.map(\.reference), blobs: Self.store(chunks))
        #expect(try again.get() == UInt64(Self.lengths.prefix(5).reduce(0, +)))
        #expect(restored == Self.preamble + Self.plaintexts.prefix(5).flatMap { $0 })
    }

    @Test func bothChunksOfAPairRefusedReportTheFirst() async throws {
        let chunks = Array(Self.chunks.prefix(4))
        var blobs = Self.store(chunks)
        for position in [2, 3] {
            let (_, blob) = try Self.spoil(position, .tampered, in: chunks)
            blobs[chunks[position].reference.blobID] = blob
        }
        let (outcome, contents, _) = try await open(chunks.map(\.reference), blobs: blobs)
        #expect(throws: PipelineError.chunkRejected(index: 2, reason: .authenticationFailed(structure: "chunk blob"))) { try outcome.get() }
        #expect(contents == Self.preamble)
    }

    @Test(arguments: [0, 1])
    func anOversizedBlobInEitherPlaceIsRefusedWhileFetching(position: Int) async throws {
        let chunks = Array(Self.chunks.prefix(2))
        var blobs = Self.store(chunks)
        blobs[chunks[position].reference.blobID] = [UInt8](repeating: 1, count: ChunkCipher.maximumBlobByteCount + 1)
        let (outcome, contents, _) = try await open(chunks.map(\.reference), blobs: blobs)
        #expect(throws: PipelineError.blobTooLarge(index: position, limit: ChunkCipher.maximumBlobByteCount)) { try outcome.get() }
        #expect(contents == Self.preamble)
    }

    @Test func aMissingSecondBlobStopsWithTheFetchersError() async throws {
        let chunks = Array(Self.chunks.prefix(4))
        let blobs = Self.store(chunks).filter { $0.key != chunks[3].reference.blobID }
        let (outcome, contents, _) = try await open(chunks.map(\.reference), blobs: blobs)
        #expect(throws: PipelineFixtures.MissingBlob()) { try outcome.get() }
        #expect(contents == Self.preamble)
    }
}

extension Result {
    /// The error, or nil for a success.
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
