import CoffreProtocol
import Foundation
import Testing

/// A seeded generator, so that a failing property case can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed | 1
    }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }
}

/// Random wire values for the binary-encoding tests.
enum WireSamples {
    static func bytes(_ count: Int, _ generator: inout SeededGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    static func entryID(_ generator: inout SeededGenerator) -> EntryID {
        EntryID(high: generator.next(), low: generator.next())
    }

    static func state(_ generator: inout SeededGenerator, maxRecord: Int = 300) -> EntryState {
        EntryState(
            entryId: entryID(&generator), rev: Int64.random(in: Int64.min...Int64.max, using: &generator),
            parentId: Bool.random(using: &generator) ? .root : entryID(&generator),
            kind: EntryKind.allCases.randomElement(using: &generator)!,
            nameTag: NameTag(bytes: bytes(32, &generator))!, deleted: Bool.random(using: &generator),
            record: Base64Bytes(bytes(Int.random(in: 0...maxRecord, using: &generator), &generator)))
    }

    static func page(_ generator: inout SeededGenerator, maxEntries: Int = 40) -> ChangesPage {
        ChangesPage(
            entries: (0..<Int.random(in: 0...maxEntries, using: &generator)).map { _ in state(&generator) },
            cursor: Int64.random(in: Int64.min...Int64.max, using: &generator), hasMore: Bool.random(using: &generator))
    }

    static func change(_ generator: inout SeededGenerator, blobs: Int = 3) -> EntryChange {
        let state = state(&generator)
        return EntryChange(
            entryId: state.entryId, baseRev: state.rev, parentId: state.parentId, kind: state.kind, nameTag: state.nameTag,
            deleted: state.deleted, record: state.record,
            blobs: (0..<Int.random(in: 0...blobs, using: &generator)).map { _ in BlobID(bytes: bytes(32, &generator))! })
    }

    static func commit(_ generator: inout SeededGenerator, changes: Int = 20) -> CommitRequest {
        CommitRequest(
            commitId: Bool.random(using: &generator) ? CommitID(high: generator.next(), low: generator.next()) : nil,
            changes: (0..<Int.random(in: 0...changes, using: &generator)).map { _ in change(&generator) })
    }

    static let limits = BinaryWireLimits(maxEntries: 10_000, maxRecordBytes: 16_384, maxBlobsPerEntry: 100, maxBlobsPerCommit: 1_000)
}

@Suite struct BinaryWireRoundTripTests {
    @Test func pagesRoundTripAndMatchTheirJSON() throws {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<200 {
            let page = WireSamples.page(&generator)
            let binary = page.binaryEncoded()
            #expect(try ChangesPage(binary: binary) == page)
            // The same information as JSON: both forms decode to the same value.
            let json = try JSONDecoder().decode(ChangesPage.self, from: JSONEncoder().encode(page))
            #expect(json == page)
        }
    }

    @Test func commitsRoundTripAndMatchTheirJSON() throws {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<200 {
            let commit = WireSamples.commit(&generator)
            #expect(try CommitRequest(binary: commit.binaryEncoded(), limits: WireSamples.limits) == commit)
            #expect(try JSONDecoder().decode(CommitRequest.self, from: JSONEncoder().encode(commit)) == commit)
        }
    }

    @Test func layoutIsTheDocumentedOne() throws {
        let tag = NameTag(bytes: [UInt8](repeating: 0xAB, count: 32))!
        let entry = EntryState(
            entryId: EntryID(high: 1, low: 2), rev: 5, parentId: .root, kind: .folder, nameTag: tag, deleted: true,
            record: Base64Bytes([9, 8, 7]))
        let bytes = ChangesPage(entries: [entry], cursor: 0x0102, hasMore: true).binaryEncoded()
        var expected: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0x01, 0x02, 1, 0, 0, 0, 1]
        expected += [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2]
        expected += [0, 0, 0, 0, 0, 0, 0, 5] + [UInt8](repeating: 0, count: 16) + [2, 1] + tag.bytes
        expected += [0, 0, 0, 3, 9, 8, 7]
        #expect(bytes == expected)

        let blob = BlobID(bytes: [UInt8](repeating: 0xCD, count: 32))!
        let change = EntryChange(
            entryId: EntryID(high: 3, low: 4), baseRev: -1, parentId: .root, kind: .symlink, nameTag: tag, record: Base64Bytes([1]),
            blobs: [blob])
        let commit = CommitRequest(commitId: CommitID(high: 0, low: 0xFF), changes: [change]).binaryEncoded()
        var expectedCommit: [UInt8] = [1, 1] + [UInt8](repeating: 0, count: 15) + [0xFF, 0, 0, 0, 1]
        expectedCommit += [0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4] + [UInt8](repeating: 0xFF, count: 8)
        expectedCommit += [UInt8](repeating: 0, count: 16) + [3, 0] + tag.bytes + [0, 0, 0, 1, 1] + [0, 0, 0, 1] + blob.bytes
        #expect(commit == expectedCommit)
        #expect(CommitRequest(changes: []).binaryEncoded() == [1, 0, 0, 0, 0, 0])
    }
}

@Suite struct BinaryWireHostileInputTests {
    static func page() -> [UInt8] {
        var generator = SeededGenerator(seed: 3)
        var page = WireSamples.page(&generator, maxEntries: 0)
        page.entries = (0..<3).map { _ in WireSamples.state(&generator, maxRecord: 20) }
        return page.binaryEncoded()
    }

    static func commit() -> [UInt8] {
        var generator = SeededGenerator(seed: 5)
        var commit = CommitRequest(commitId: CommitID(high: 1, low: 1), changes: [])
        commit.changes = (0..<3).map { _ in WireSamples.change(&generator, blobs: 2) }
        return commit.binaryEncoded()
    }

    @Test func everyTruncationIsRefused() {
        let page = Self.page()
        for length in 0..<page.count {
            #expect(throws: BinaryWireError.self) { try ChangesPage(binary: Array(page.prefix(length))) }
        }
        let commit = Self.commit()
        for length in 0..<commit.count {
            #expect(throws: BinaryWireError.self) { try CommitRequest(binary: Array(commit.prefix(length)), limits: WireSamples.limits) }
        }
        #expect(throws: BinaryWireError.unsupportedVersion) { try ChangesPage(binary: []) }
        #expect(throws: BinaryWireError.truncated) { try ChangesPage(binary: Array(page.dropLast())) }
    }

    @Test func trailingBytesAndUnknownVersionsAreRefused() {
        #expect(throws: BinaryWireError.trailingBytes) { try ChangesPage(binary: Self.page() + [0]) }
        #expect(throws: BinaryWireError.trailingBytes) { try CommitRequest(binary: Self.commit() + [0], limits: WireSamples.limits) }
        for version: UInt8 in [0, 2, 0x7B, 0xFF] {
            var page = Self.page()
            page[0] = version
            #expect(throws: BinaryWireError.unsupportedVersion) { try ChangesPage(binary: page) }
            var commit = Self.commit()
            commit[0] = version
            #expect(throws: BinaryWireError.unsupportedVersion) { try CommitRequest(binary: commit, limits: WireSamples.limits) }
        }
        // A JSON body sent under the binary media type.
        #expect(throws: BinaryWireError.unsupportedVersion) {
            try CommitRequest(binary: Array(#"{"changes":[]}"#.utf8), limits: WireSamples.limits)
        }
    }

    @Test func invalidFieldValuesAreRefused() {
        // Page: hasMore at 9, first entry's kind at 14 + 40, deleted right after.
        for (offset, value, field) in [(9, UInt8(2), "hasMore flag"), (54, 0, "entry kind"), (54, 4, "entry kind"), (55, 2, "deleted flag")] {
            var page = Self.page()
            page[offset] = value
            #expect(throws: BinaryWireError.invalidValue(field: field)) { try ChangesPage(binary: page) }
        }
        // Commit: flags at 1, first change's kind at 2 + 16 + 4 + 40.
        for (offset, value, field) in [(1, UInt8(2), "flags byte"), (1, 0x81, "flags byte"), (62, 9, "entry kind"), (63, 0xFF, "deleted flag")] {
            var commit = Self.commit()
            commit[offset] = value
            #expect(throws: BinaryWireError.invalidValue(field: field)) { try CommitRequest(binary: commit, limits: WireSamples.limits) }
        }
    }

    @Test func hugeCountsAreRefusedBeforeAllocating() throws {
        // Pages announcing 2³¹−1 and 2³²−1 entries in a few bytes.
        let page: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF]
        #expect(throws: BinaryWireError.truncated) { try ChangesPage(binary: page) }
        #expect(throws: BinaryWireError.limitExceeded(rule: "a page holds at most 2147483647 entries")) {
            try ChangesPage(binary: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
        }
        let small = BinaryWireLimits(maxEntries: 2, maxRecordBytes: 10, maxBlobsPerEntry: 1, maxBlobsPerCommit: 2)
        #expect(throws: BinaryWireError.limitExceeded(rule: "a page holds at most 2 entries")) {
            try ChangesPage(binary: Self.page(), limits: small)
        }
        #expect(throws: BinaryWireError.limitExceeded(rule: "a commit holds at most 2 changes")) {
            try CommitRequest(binary: Self.commit(), limits: small)
        }
        // A record length far beyond the bytes left, and one over the limit.
        var record = Self.page()
        record.replaceSubrange(88..<92, with: [0x7F, 0xFF, 0xFF, 0xFF])
        #expect(throws: BinaryWireError.limitExceeded(rule: "a record has at most 36864 bytes")) { try ChangesPage(binary: record) }
        record.replaceSubrange(88..<92, with: [0, 0, 0x80, 0])
        #expect(throws: BinaryWireError.truncated) { try ChangesPage(binary: record) }
        // Blobs: per entry and per commit.
        var generator = SeededGenerator(seed: 9)
        var change = WireSamples.change(&generator, blobs: 0)
        change.record = Base64Bytes([1])
        change.blobs = (0..<2).map { _ in BlobID(bytes: WireSamples.bytes(32, &generator))! }
        let twoBlobs = CommitRequest(changes: [change]).binaryEncoded()
        #expect(throws: BinaryWireError.limitExceeded(rule: "an entry references at most 1 blobs")) {
            try CommitRequest(binary: twoBlobs, limits: small)
        }
        let perCommit = BinaryWireLimits(maxEntries: 10, maxRecordBytes: 10, maxBlobsPerEntry: 2, maxBlobsPerCommit: 3)
        let twice = CommitRequest(changes: [change, change]).binaryEncoded()
        #expect(throws: BinaryWireError.limitExceeded(rule: "a commit references at most 3 blobs")) {
            try CommitRequest(binary: twice, limits: perCommit)
        }
        // A blob count larger than the bytes left.
        var blobCount = twoBlobs
        let countOffset = blobCount.count - 64 - 4
        blobCount.replaceSubrange(countOffset..<(countOffset + 4), with: [0, 0, 0, 2])
        #expect(try CommitRequest(binary: blobCount, limits: perCommit).changes[0].blobs.count == 2)
        blobCount.replaceSubrange(countOffset..<(countOffset + 4), with: [0, 0, 0, 3])
        #expect(throws: BinaryWireError.truncated) { try CommitRequest(binary: blobCount, limits: WireSamples.limits) }
    }

    /// Random corruptions: decoding never crashes, and whatever it accepts re-encodes to the
    /// very same bytes (the form is canonical: one value, one encoding).
    @Test func randomCorruptionsAreRefusedOrCanonical() {
        var generator = SeededGenerator(seed: 2026)
        for _ in 0..<2_000 {
            var page = WireSamples.page(&generator, maxEntries: 4).binaryEncoded()
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                page[Int.random(in: 0..<page.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if let decoded = try? ChangesPage(binary: page) { #expect(decoded.binaryEncoded() == page) }

            var commit = WireSamples.commit(&generator, changes: 4).binaryEncoded()
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                commit[Int.random(in: 0..<commit.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if let decoded = try? CommitRequest(binary: commit, limits: WireSamples.limits) {
                #expect(decoded.binaryEncoded() == commit)
            }
        }
    }

    @Test func errorDescriptionsNameTheRuleNotTheBytes() {
        let errors: [BinaryWireError] = [.unsupportedVersion, .truncated, .trailingBytes, .invalidValue(field: "entry kind")]
        for error in errors { #expect(!error.description.isEmpty && !error.description.contains("0x")) }
    }
}
