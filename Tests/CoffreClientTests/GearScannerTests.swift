@testable import CoffreClient
import Testing

/// The four-lane scanner against a plain one-byte loop: every cut and every resumed
/// fingerprint the same, on random data, for ranges of every shape the lane split takes
/// (full 16 KiB blocks, shorter blocks, the one-lane rest), with cuts in every lane, and
/// with a range split into two scans at every boundary near the lanes' edges.
@Suite struct GearScannerTests {
    /// Masks from very dense (cuts every few hundred bytes, so lanes cut in the same block and
    /// earlier lanes win over later ones) to one bit (about one cut per 2 bytes) to bit 62 only.
    static let masks: [UInt64] = [
        0x0101_0101_0100_0000, 0x0101_0101_0101_0000, 0x1111_1111_1100_0000, 0x5555_5550_0000_0000,
        0x4000_0000_0000_0000, 0x0000_0000_0000_8000, ChunkingParameters.production.smallMask,
    ]

    /// A scan of `bytes[from..<to]` as `docs/format-chunker.md` writes it: one byte at a time.
    static func referenceCut(
        _ bytes: [UInt8], gear: [UInt64], from: Int, to: Int, mask: UInt64, fingerprint: inout UInt64
    ) -> Int? {
        var hash = fingerprint
        for position in from..<to {
            hash = (hash &<< 1) &+ gear[Int(bytes[position])]
            if hash & mask == 0 { return position + 1 }
        }
        fingerprint = hash
        return nil
    }

    /// The hash after `bytes[0..<end]` (the state a scan from `end` resumes with); only the
    /// last 64 bytes count.
    static func fingerprint(_ bytes: [UInt8], gear: [UInt64], upTo end: Int) -> UInt64 {
        bytes[max(0, end - 64)..<end].reduce(0) { ($0 &<< 1) &+ gear[Int($1)] }
    }

    /// Runs the scanner the way `Chunker` does, over a table of `gear` then `gear << 1`.
    static func scan(_ bytes: [UInt8], gear: [UInt64], from: Int, to: Int, mask: UInt64, fingerprint: inout UInt64) -> Int? {
        let table = gear + gear.map { $0 &<< 1 }
        return bytes.withUnsafeBytes { raw in
            table.withUnsafeBufferPointer { tableBuffer in
                GearScanner(bytes: raw.baseAddress!, gear: tableBuffer.baseAddress!)
                    .firstCut(from: from, to: to, mask: mask, fingerprint: &fingerprint)
            }
        }
    }

    /// Range lengths at and around every switch of the lane split: one lane below 2 KiB,
    /// short blocks up to 16 KiB, full blocks above, and several blocks with a short rest.
    static let rangeLengths: [Int] = [
        0, 1, 2, 63, 64, 65, 2047, 2048, 2049, 2050, 4095, 4096, 4097, 8191, 8192, 8193, 16_383, 16_384,
        16_385, 16_386, 32_768 + 2048, 32_768 + 2047, 49_152 + 9_999, 100_001,
    ]

    @Test(arguments: masks)
    func everyRangeShapeMatchesTheOneByteLoop(mask: UInt64) throws {
        let gear = try Chunker.gear(key: ChunkerFixtures.key)
        let bytes = ChunkerFixtures.pseudoRandom(count: 140_000, seed: mask)
        var mismatches: [String] = []
        for length in Self.rangeLengths {
            // Starts 64 bytes in or more, as the minimum size guarantees, at odd and even offsets.
            for from in [64, 1001, 5000] where from + length <= bytes.count {
                var expectedHash = Self.fingerprint(bytes, gear: gear, upTo: from)
                var actualHash = expectedHash
                let expected = Self.referenceCut(bytes, gear: gear, from: from, to: from + length, mask: mask, fingerprint: &expectedHash)
                let actual = Self.scan(bytes, gear: gear, from: from, to: from + length, mask: mask, fingerprint: &actualHash)
                if actual != expected || (actual == nil && actualHash != expectedHash) {
                    let got = String(describing: actual)
                    mismatches.append("from \(from) length \(length): got \(got), expected \(String(describing: expected))")
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
    }

    /// Masks with cuts every few hundred bytes: scanning cut after cut over a long input
    /// reaches cuts in each of the four lanes, and earlier lanes that cut after a later one.
    @Test func cutsInEveryLaneMatchTheOneByteLoop() throws {
        let gear = try Chunker.gear(key: ChunkerFixtures.key)
        let bytes = ChunkerFixtures.pseudoRandom(count: 600_000, seed: 77)
        // 12 bits, about one cut per 4 KiB: cuts land anywhere in a 16 KiB block.
        let mask: UInt64 = 0x5555_5500_0000_0000
        var lanesHit = Set<Int>()
        var from = 64
        var cuts = 0
        while from < bytes.count {
            var expectedHash = Self.fingerprint(bytes, gear: gear, upTo: from)
            var actualHash = expectedHash
            let expected = Self.referenceCut(bytes, gear: gear, from: from, to: bytes.count, mask: mask, fingerprint: &expectedHash)
            let actual = Self.scan(bytes, gear: gear, from: from, to: bytes.count, mask: mask, fingerprint: &actualHash)
            try #require(actual == expected, "scan from \(from)")
            guard let cut = expected else { break }
            // Where in its block the cut fell, for full blocks from `from`.
            if cut - from <= (bytes.count - from) / GearScanner.laneLength / 4 * 4 * GearScanner.laneLength {
                lanesHit.insert((cut - 1 - from) % (4 * GearScanner.laneLength) / GearScanner.laneLength)
            }
            cuts += 1
            from = cut + 64
        }
        #expect(cuts > 40)
        #expect(lanesHit == [0, 1, 2, 3])
    }

    /// A range scanned in two parts, split at every position near the lanes' edges (and at
    /// random ones), finds the same cut and ends with the same fingerprint as one scan: the
    /// state a streaming read resumes with is exact wherever a read ends.
    @Test(arguments: [0x5555_5550_0000_0000 as UInt64, 0x5555_5555_5555_0000])
    func splitScansMatchOneScanAtEveryBoundary(mask: UInt64) throws {
        let gear = try Chunker.gear(key: ChunkerFixtures.key)
        let bytes = ChunkerFixtures.pseudoRandom(count: 40_000, seed: 5)
        let from = 100
        let to = 36_100
        var wholeHash = Self.fingerprint(bytes, gear: gear, upTo: from)
        let start = wholeHash
        let whole = Self.referenceCut(bytes, gear: gear, from: from, to: to, mask: mask, fingerprint: &wholeHash)
        var splits = Set<Int>()
        for edge in stride(from: from, through: to, by: 512) {
            for delta in -2...2 where (from...to).contains(edge + delta) { splits.insert(edge + delta) }
        }
        for edge in stride(from: from, through: to, by: GearScanner.laneLength) {
            for delta in -65...65 where (from...to).contains(edge + delta) { splits.insert(edge + delta) }
        }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<200 { splits.insert(Int.random(in: from...to, using: &random)) }
        var mismatches: [Int] = []
        for split in splits.sorted() {
            var hash = start
            var cut = Self.scan(bytes, gear: gear, from: from, to: split, mask: mask, fingerprint: &hash)
            if cut == nil { cut = Self.scan(bytes, gear: gear, from: split, to: to, mask: mask, fingerprint: &hash) }
            if cut != whole || (cut == nil && hash != wholeHash) { mismatches.append(split) }
        }
        #expect(mismatches.isEmpty, "splits \(mismatches.prefix(5))")
    }

    /// Random sizes and random min/normal/max settings: `cutPoints` and the streaming chunker
    /// with reads that end at every kind of offset cut where the reference does.
    @Test func randomSettingsAndSizesMatchTheReference() throws {
        var random = SystemRandomNumberGenerator()
        for round in 0..<12 {
            let minimum = Int.random(in: 1...20_000, using: &random)
            let normal = minimum + Int.random(in: 1...40_000, using: &random)
            let maximum = normal + Int.random(in: 0...60_000, using: &random)
            let parameters = ChunkingParameters(
                minimumSize: minimum, normalSize: normal, maximumSize: maximum,
                smallMask: Self.masks[round % 4], largeMask: Self.masks[(round + 1) % 4] | 0x0000_0000_0001_0000)
            try #require(parameters.isValid)
            let chunker = try Chunker(key: ChunkerFixtures.key, parameters: parameters)
            let count = Int.random(in: 0...400_000, using: &random)
            let data = ChunkerFixtures.pseudoRandom(count: count, seed: UInt64(round) &* 7919)
            let expected = try ChunkerFixtures.referenceCutPoints(data, key: ChunkerFixtures.key, parameters: parameters)
            let settings = "min \(minimum) normal \(normal) max \(maximum), \(count) bytes"
            #expect(ChunkerFixtures.firstDifference(chunker.cutPoints(in: data), expected) == nil, "\(settings)")

            let readSizes = (0..<5).map { _ in Int.random(in: 1...70_000, using: &random) }
            var source = ScriptedByteSource(data: data, readSizes: readSizes)
            var streamed: [Int] = []
            try StreamingChunker(chunker: chunker).forEachChunk(of: &source) { chunk, _ in streamed.append(chunk.end) }
            #expect(ChunkerFixtures.firstDifference(streamed, expected) == nil, "\(settings), reads \(readSizes)")
        }
    }
}
