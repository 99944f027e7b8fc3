@testable import CoffreClient
import Testing

@Suite struct ChunkerTests {
    let chunker: Chunker
    let minimum = Chunker.minimumChunkSize
    let maximum = Chunker.maximumChunkSize

    init() throws {
        chunker = try Chunker(key: ChunkerFixtures.key)
    }

    /// Every chunk but the last is longer than the minimum and at most the maximum; the last is
    /// 1...maximum; the cut points end at the input's length.
    func expectValidCuts(_ cuts: [Int], count: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(cuts.last == count, sourceLocation: sourceLocation)
        let lengths = ChunkerFixtures.lengths(cuts)
        for length in lengths.dropLast() {
            #expect(length > minimum && length <= maximum, "chunk of \(length) bytes", sourceLocation: sourceLocation)
        }
        if let last = lengths.last {
            #expect(last >= 1 && last <= maximum, sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [0, 1, 16, 31, 33, 64])
    func rejectsKeysOfWrongLength(length: Int) {
        #expect(throws: ChunkingError.invalidKeyLength(actual: length)) {
            try Chunker(key: [UInt8](repeating: 0x42, count: length))
        }
    }

    @Test func rejectsAllZeroKey() {
        #expect(throws: ChunkingError.allZeroKey) { try Chunker(key: [UInt8](repeating: 0, count: 32)) }
    }

    @Test func emptyInputHasNoChunks() {
        #expect(chunker.cutPoints(in: [UInt8]()) == [])
        #expect(chunker.cutPoints(in: UnsafeRawBufferPointer(start: nil, count: 0)) == [])
    }

    @Test(arguments: [1, 2, 4095, 256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1])
    func inputsUpToMinimumAreOneChunk(count: Int) {
        // min + 1 is one chunk too: the only judged position is the last byte.
        let data = ChunkerFixtures.pseudoRandom(count: count, seed: UInt64(count))
        #expect(chunker.cutPoints(in: data) == [count])
    }

    @Test func allZerosGiveMaximumChunks() {
        // Five maximum-size chunks, then a tail shorter than the minimum.
        let zeros = [UInt8](repeating: 0, count: 5 * maximum + 12_345)
        #expect(chunker.cutPoints(in: zeros) == Array(stride(from: maximum, through: 5 * maximum, by: maximum)) + [zeros.count])
    }

    @Test func exactlyMaximumInput() {
        #expect(chunker.cutPoints(in: [UInt8](repeating: 0, count: maximum)) == [maximum])
        let data = ChunkerFixtures.pseudoRandom(count: maximum, seed: 4)
        expectValidCuts(chunker.cutPoints(in: data), count: maximum)
    }

    @Test func maximumPlusOneInput() {
        #expect(chunker.cutPoints(in: [UInt8](repeating: 0, count: maximum + 1)) == [maximum, maximum + 1])
        let data = ChunkerFixtures.pseudoRandom(count: maximum + 1, seed: 5)
        expectValidCuts(chunker.cutPoints(in: data), count: maximum + 1)
    }

    @Test func chunkLengthsStayWithinBounds() {
        // Random data, then a long run of one byte value (no cut: maximum-size chunks), then
        // random data again.
        let data = ChunkerFixtures.pseudoRandom(count: 6 << 20, seed: 6)
            + [UInt8](repeating: 0xEE, count: 9 << 20)
            + ChunkerFixtures.pseudoRandom(count: 5 << 20, seed: 7)
        let cuts = chunker.cutPoints(in: data)
        expectValidCuts(cuts, count: data.count)
        #expect(ChunkerFixtures.lengths(cuts).contains(maximum))
    }

    @Test func identicalContentGivesIdenticalBoundaries() throws {
        let data = ChunkerFixtures.pseudoRandom(count: 12 << 20, seed: 8)
        let cuts = chunker.cutPoints(in: data)
        #expect(cuts.count > 3)
        // Another instance from the same key, and the same bytes at another address.
        let again = try Chunker(key: ChunkerFixtures.key)
        #expect(again.cutPoints(in: data) == cuts)
        let shifted = [1, 2, 3] + data
        #expect(again.cutPoints(in: shifted[3...]) == cuts)
    }

    @Test func differentKeyGivesDifferentBoundaries() throws {
        let data = ChunkerFixtures.pseudoRandom(count: 16 << 20, seed: 9)
        let other = try Chunker(key: ChunkerFixtures.reversedKey)
        let cuts = chunker.cutPoints(in: data)
        let otherCuts = other.cutPoints(in: data)
        expectValidCuts(otherCuts, count: data.count)
        #expect(Set(cuts.dropLast()).isDisjoint(with: otherCuts.dropLast()))
        #expect(try Chunker.gear(key: ChunkerFixtures.key) != Chunker.gear(key: ChunkerFixtures.reversedKey))
    }

    @Test func insertionNearStartChangesOnlyNearbyChunks() {
        let original = ChunkerFixtures.pseudoRandom(count: 32 << 20, seed: 10)
        let inserted: [UInt8] = [0xC0, 0xFF, 0x4E, 0x00, 0x01]
        var edited = original
        edited.insert(contentsOf: inserted, at: 1000)
        let before = chunker.cutPoints(in: original)
        let after = chunker.cutPoints(in: edited)
        #expect(before.count >= 20)
        // A chunk survives when its start and end both move by exactly the insertion.
        let shiftedBefore = Set(zip([0] + before, before).map { "\($0 + inserted.count)-\($1 + inserted.count)" })
        let surviving = zip([0] + after, after).filter { shiftedBefore.contains("\($0)-\($1)") }.count
        #expect(surviving >= before.count - 2, "\(surviving) of \(before.count) chunks unchanged")
        #expect(after.last == edited.count)
    }

    @Test func descriptionHidesGearTable() throws {
        let gear = try Chunker.gear(key: ChunkerFixtures.key)
        var dumped = ""
        dump(chunker, to: &dumped)
        for text in [chunker.description, String(reflecting: chunker), dumped] {
            #expect(!text.contains(String(gear[0])))
            #expect(!text.contains(String(gear[0], radix: 16)))
            #expect(text.contains("FastCDC"))
        }
    }
}
