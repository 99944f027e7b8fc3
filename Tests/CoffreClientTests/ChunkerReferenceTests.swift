@testable import CoffreClient
import Testing

/// The optimized scanner (two bytes per step, four and two lanes, resumable) cuts exactly where
/// plain one-byte-at-a-time FastCDC does.
@Suite struct ChunkerReferenceTests {
    /// Small sizes and few mask bits give thousands of cuts per test, so lane-B cuts, lane-A
    /// cuts after a lane-B cut in the same block, odd tails and both masks all occur.
    static let denseParameters = ChunkingParameters(
        minimumSize: 1001, normalSize: 20_000, maximumSize: 70_001,
        smallMask: 0x1111_1111_1100_0000, largeMask: 0x1111_1111_0000_0000)
    /// About one cut per 4 KiB lane: long scans run through whole 16 KiB four-lane blocks, and
    /// cuts land in every lane, earlier lanes often cutting after a later one already did.
    static let laneParameters = ChunkingParameters(
        minimumSize: 1001, normalSize: 40_000, maximumSize: 100_001,
        smallMask: 0x0101_0101_0101_0000, largeMask: 0x0101_0101_0100_0000)
    /// Masks that use bit 62, the highest one the two-byte step allows.
    static let sparseParameters = ChunkingParameters(
        minimumSize: 4096, normalSize: 65_536, maximumSize: 262_144,
        smallMask: 0x5555_5550_0000_0000, largeMask: 0x5555_5500_0000_0000)

    @Test(arguments: [denseParameters, laneParameters, sparseParameters])
    func matchesReferenceWithSmallParameters(parameters: ChunkingParameters) throws {
        #expect(parameters.isValid)
        let chunker = try Chunker(key: ChunkerFixtures.key, parameters: parameters)
        let data = ChunkerFixtures.pseudoRandom(count: 3_000_017, seed: 11)
            + [UInt8](repeating: 0, count: 300_000)
            + ChunkerFixtures.pseudoRandom(count: 1_000_003, seed: 12)
        let expected = try ChunkerFixtures.referenceCutPoints(data, key: ChunkerFixtures.key, parameters: parameters)
        #expect(expected.count > 40)
        #expect(ChunkerFixtures.firstDifference(chunker.cutPoints(in: data), expected) == nil)
    }

    @Test func matchesReferenceWithProductionParameters() throws {
        let chunker = try Chunker(key: ChunkerFixtures.key)
        let data = ChunkerFixtures.pseudoRandom(count: 9_437_185, seed: 13)
        let expected = try ChunkerFixtures.referenceCutPoints(data, key: ChunkerFixtures.key, parameters: .production)
        #expect(ChunkerFixtures.firstDifference(chunker.cutPoints(in: data), expected) == nil)
    }

    @Test func rejectsInvalidParameterSets() {
        let base = ChunkingParameters.production
        let highBit = ChunkingParameters(
            minimumSize: base.minimumSize, normalSize: base.normalSize, maximumSize: base.maximumSize,
            smallMask: base.smallMask | (1 << 63), largeMask: base.largeMask)
        let inverted = ChunkingParameters(
            minimumSize: base.normalSize, normalSize: base.minimumSize, maximumSize: base.maximumSize,
            smallMask: base.smallMask, largeMask: base.largeMask)
        let emptyMask = ChunkingParameters(
            minimumSize: base.minimumSize, normalSize: base.normalSize, maximumSize: base.maximumSize,
            smallMask: base.smallMask, largeMask: 0)
        #expect(base.isValid)
        #expect(!highBit.isValid)
        #expect(!inverted.isValid)
        #expect(!emptyMask.isValid)
    }
}
