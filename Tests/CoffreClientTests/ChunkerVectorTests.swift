@testable import CoffreClient
import CoffreCrypto
import Testing

/// The test vectors published in docs/format-chunker.md, computed there by an independent
/// implementation of the documented algorithm.
@Suite struct ChunkerVectorTests {
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    @Test func gearTableEntries() throws {
        let gear = try Chunker.gear(key: ChunkerFixtures.key)
        #expect(gear.count == 256)
        #expect(gear[0] == 0x6BA9_26F8_FE83_09F4)
        #expect(gear[1] == 0xFFD0_07FA_21B6_83FC)
        #expect(gear[255] == 0x9FC9_BFB6_EBBD_E2BE)
        let reversed = try Chunker.gear(key: ChunkerFixtures.reversedKey)
        #expect(reversed[0] == 0x1F15_3D5F_5689_006C)
        #expect(reversed[1] == 0x09C1_1E24_788B_9921)
        #expect(reversed[255] == 0xA9A1_D8C4_02B3_5AD2)
    }

    @Test func masksHaveTheDocumentedBits() {
        #expect(Chunker.smallMask == 0x554A_A552_A954_8000)
        #expect(Chunker.largeMask == 0x524A_4949_2924_8000)
        #expect(Chunker.smallMask.nonzeroBitCount == 22)
        #expect(Chunker.largeMask.nonzeroBitCount == 18)
        // Bit j of k (j = 0..<k) sits at 62 - floor(j * 47 / (k - 1)).
        for (mask, bits) in [(Chunker.smallMask, 22), (Chunker.largeMask, 18)] {
            let spread = (0..<bits).reduce(UInt64(0)) { $0 | 1 << UInt64(62 - $1 * 47 / (bits - 1)) }
            #expect(mask == spread)
        }
    }

    @Test func inputGenerator() throws {
        let stream = try ChunkerFixtures.vectorStream(count: 6_000_000)
        #expect(Self.hex(Array(stream.prefix(32))) == "778291b7335d280e7762f3503cc2a84afd44b2b0a1a7e919841415258d1033bb")
        #expect(Self.hex(try SHA256.hash(stream)) == "32e63fbcf7e40b6a253c07bde4e258e13173ec67cd95a9ec9938c4669f3f0ab5")
    }

    @Test func vector1RandomInput() throws {
        let input = try ChunkerFixtures.vectorStream(count: 6_000_000)
        let expected = [2_097_152, 2_401_676, 3_513_117, 4_599_417, 6_000_000]
        try expectCuts(key: ChunkerFixtures.key, input: input, expected: expected)
    }

    @Test func vector2ZerosThenRandomInput() throws {
        let input = [UInt8](repeating: 0, count: 5 << 20) + (try ChunkerFixtures.vectorStream(count: 3_000_000))
        #expect(Self.hex(try SHA256.hash(input)) == "8d24ddee30530445b42a24ab7561304cf7f92fd2c046a49daec899e152308dab")
        let expected = [2_097_152, 4_194_304, 5_286_423, 6_832_170, 8_044_566, 8_242_880]
        try expectCuts(key: ChunkerFixtures.reversedKey, input: input, expected: expected)
    }

    /// Checks the in-memory and the streaming paths against the published cut points.
    func expectCuts(key: [UInt8], input: [UInt8], expected: [Int]) throws {
        let chunker = try Chunker(key: key)
        #expect(chunker.cutPoints(in: input) == expected)
        var source = ScriptedByteSource(data: input, readSizes: [65_536, 100_003])
        var ends: [Int] = []
        try StreamingChunker(chunker: chunker).forEachChunk(of: &source) { chunk, _ in ends.append(chunk.end) }
        #expect(ends == expected)
    }
}
