@testable import CoffreClient
import CoffreCrypto
import Testing

/// `PairedSealingWorker` driven step by step, as a pipeline worker drives it: every blob,
/// key and id equals `ChunkCipher.seal` of the chunk whatever the order in which chunks
/// arrive — a second chunk taken while the first is being hashed alone, jobs of very
/// different lengths, a chunk of one byte, known chunks — and the worker never holds more
/// than two.
@Suite(.enabled(if: SHA256Pair.isAvailable, "needs a CPU with the SHA extensions"))
struct PairedSealingWorkerTests {
    /// A slot holding `plaintext` as the reader leaves it: behind the 5-byte blob header.
    static func slot(_ plaintext: [UInt8], index: Int, known: KnownChunks? = nil) -> ChunkSlot {
        let slot = ChunkSlot(capacity: ChunkCipher.maximumBlobByteCount)
        plaintext.withUnsafeBytes { bytes in
            UnsafeMutableRawBufferPointer(rebasing: slot.buffer[ChunkCipher.plaintextOffset...]).copyMemory(from: bytes)
        }
        slot.index = index
        slot.inputCount = plaintext.count
        slot.knownChunks = known
        return slot
    }

    /// Feeds `chunks` to a worker, taking the next one whenever it has room after
    /// `stepsBetweenTakes` steps, and runs it until every chunk is finished; returns the
    /// finished slots by index.
    static func drive(_ chunks: [ChunkSlot], stepsBetweenTakes: Int) throws -> [Int: ChunkSlot] {
        let transform = PairedSealingWorker(cipher: PipelineFixtures.cipher()).transform
        var pending = chunks[...]
        var finished: [Int: ChunkSlot] = [:]
        var steps = 0
        while finished.count < chunks.count {
            if transform.hasRoom(), let next = pending.first, steps % (stepsBetweenTakes + 1) == 0 || !transform.isHolding() {
                transform.take(next)
                pending = pending.dropFirst()
            }
            try #require(transform.isHolding(), "the worker dropped a chunk")
            for (slot, failure) in transform.advance() {
                try #require(failure == nil)
                try #require(finished[slot.index] == nil, "chunk \(slot.index) finished twice")
                finished[slot.index] = slot
            }
            steps += 1
            try #require(steps < 10_000, "the worker stopped advancing")
        }
        #expect(!transform.isHolding())
        return finished
    }

    /// Lengths that make the two streams end far apart both ways, the largest chunk, and one byte.
    static let lengths = [300_000, 1, 4 << 20, 65, 1_234_567, 64, 2_000_000, 700_001]

    @Test(arguments: [0, 1, 5, 40])
    func blobsEqualSealingEachChunkAlone(stepsBetweenTakes: Int) throws {
        let plaintexts = Self.lengths.enumerated().map { ChunkerFixtures.pseudoRandom(count: $1, seed: UInt64(40 + $0)) }
        let finished = try Self.drive(plaintexts.enumerated().map { Self.slot($1, index: $0) }, stepsBetweenTakes: stepsBetweenTakes)
        for (index, plaintext) in plaintexts.enumerated() {
            let expected = try PipelineFixtures.cipher().seal(plaintext)
            let slot = try #require(finished[index])
            #expect(slot.reference == expected.reference, "chunk \(index)")
            #expect(Array(slot.outputBytes) == expected.blob, "chunk \(index)")
            #expect(!slot.isKnown)
            #expect(slot.chunkKey == nil)
        }
    }

    /// A known chunk ends after its key job: no blob, its known reference, and the chunk paired
    /// with it still gets its own id.
    @Test func knownChunksEndAfterTheirKey() throws {
        let plaintexts = [500_000, 90_000, 1_000_000].enumerated().map { ChunkerFixtures.pseudoRandom(count: $1, seed: UInt64(70 + $0)) }
        let known = KnownChunks([try PipelineFixtures.cipher().seal(plaintexts[1]).reference])
        let finished = try Self.drive(
            plaintexts.enumerated().map { Self.slot($1, index: $0, known: known) }, stepsBetweenTakes: 0)
        for (index, plaintext) in plaintexts.enumerated() {
            let expected = try PipelineFixtures.cipher().seal(plaintext)
            let slot = try #require(finished[index])
            #expect(slot.reference == expected.reference)
            #expect(slot.isKnown == (index == 1))
            #expect(slot.outputBytes.isEmpty == (index == 1))
        }
    }

    /// The worker takes a chunk only while it holds fewer than two.
    @Test func holdsAtMostTwoChunks() throws {
        let transform = PairedSealingWorker(cipher: PipelineFixtures.cipher()).transform
        #expect(transform.hasRoom() && !transform.isHolding())
        transform.take(Self.slot(ChunkerFixtures.pseudoRandom(count: 200_000, seed: 1), index: 0))
        #expect(transform.hasRoom())
        transform.take(Self.slot(ChunkerFixtures.pseudoRandom(count: 300_000, seed: 2), index: 1))
        #expect(!transform.hasRoom())
        var done: [Int] = []
        while transform.isHolding() { done += transform.advance().map(\.slot.index) }
        #expect(done.sorted() == [0, 1])
        #expect(transform.hasRoom())
    }
}
