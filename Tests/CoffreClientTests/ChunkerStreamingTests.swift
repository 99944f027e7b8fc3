@testable import CoffreClient
import CoffreCrypto
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ChunkerStreamingTests {
    let chunker: Chunker
    let streaming: StreamingChunker

    init() throws {
        chunker = try Chunker(key: ChunkerFixtures.key)
        streaming = StreamingChunker(chunker: chunker)
    }

    /// Streams `source` and checks the chunks against `cutPoints(in: data)`, byte for byte.
    func expectStreamMatchesBuffer(
        _ source: inout some ByteSource, data: [UInt8], using streaming: StreamingChunker,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        var chunks: [Chunk] = []
        var mismatched = 0
        try data.withUnsafeBytes { expected in
            try streaming.forEachChunk(of: &source) { chunk, bytes in
                chunks.append(chunk)
                let same = bytes.count == chunk.length && chunk.end <= expected.count
                    && memcmp(bytes.baseAddress!, expected.baseAddress! + chunk.offset, chunk.length) == 0
                if !same { mismatched += 1 }
            }
        }
        let cuts = streaming.chunker.cutPoints(in: data)
        #expect(ChunkerFixtures.firstDifference(chunks.map(\.end), cuts) == nil, sourceLocation: sourceLocation)
        #expect(chunks.map(\.offset) == [0] + cuts.dropLast(), sourceLocation: sourceLocation)
        #expect(mismatched == 0, sourceLocation: sourceLocation)
    }

    @Test(arguments: [[1, 7, 4093, 65_537, 1_000_003], [333_333], [Int.max]])
    func streamMatchesBufferWithOddReads(readSizes: [Int]) throws {
        let data = ChunkerFixtures.pseudoRandom(count: 11 << 20, seed: 20)
            + [UInt8](repeating: 0, count: 5 << 20)
            + ChunkerFixtures.pseudoRandom(count: 77_777, seed: 21)
        var source = ScriptedByteSource(data: data, readSizes: readSizes)
        try expectStreamMatchesBuffer(&source, data: data, using: streaming)
    }

    @Test func streamMatchesBufferWithManySmallChunks() throws {
        // Thousands of chunks per window: the compaction path runs many times.
        let dense = try Chunker(key: ChunkerFixtures.key, parameters: ChunkerReferenceTests.denseParameters)
        let data = ChunkerFixtures.pseudoRandom(count: 4_000_037, seed: 22)
        var source = ScriptedByteSource(data: data, readSizes: [5, 70_001, 12_345, 999_999])
        try expectStreamMatchesBuffer(&source, data: data, using: StreamingChunker(chunker: dense))
    }

    @Test func emptyAndSmallSources() throws {
        var empty = ScriptedByteSource(data: [], readSizes: [100])
        var calls = 0
        try streaming.forEachChunk(of: &empty) { _, _ in calls += 1 }
        #expect(calls == 0)
        let small = ChunkerFixtures.pseudoRandom(count: 1000, seed: 23)
        var oneByteReads = ScriptedByteSource(data: small, readSizes: [1])
        try expectStreamMatchesBuffer(&oneByteReads, data: small, using: streaming)
    }

    @Test func instanceIsReusableAcrossStreams() throws {
        let first = ChunkerFixtures.pseudoRandom(count: 7 << 20, seed: 24)
        let second = ChunkerFixtures.pseudoRandom(count: 3 << 20, seed: 25)
        for data in [first, second, first] {
            var source = ScriptedByteSource(data: data, readSizes: [262_147])
            try expectStreamMatchesBuffer(&source, data: data, using: streaming)
        }
    }

    @Test func streamOverFileMatchesBuffer() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-chunker-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("input")
        let data = ChunkerFixtures.pseudoRandom(count: 9 << 20 + 77, seed: 26)
        try Data(data).write(to: file)

        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var source = FileDescriptorByteSource(fileHandle: handle)
        try expectStreamMatchesBuffer(&source, data: data, using: streaming)
        // The chunks, hashed in place, rebuild the file's digest.
        try handle.seek(toOffset: 0)
        var byDescriptor = FileDescriptorByteSource(fileDescriptor: handle.fileDescriptor)
        let digest = try SHA256()
        try streaming.forEachChunk(of: &byDescriptor) { _, bytes in try digest.update(bytes) }
        #expect(try digest.finalize() == SHA256.hash(data))
    }

    @Test func socketWithShortReadsMatchesBuffer() throws {
        var descriptors: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &descriptors) == 0)
        let (readEnd, writeEnd) = (descriptors[0], descriptors[1])
        defer { close(readEnd) }
        let data = ChunkerFixtures.pseudoRandom(count: 5 << 20 + 3, seed: 27)
        // The writer sends 10,000-byte pieces, so reads come back short and uneven. MSG_NOSIGNAL:
        // if the reader stops early the writer gets EPIPE instead of a SIGPIPE.
        let writer = Thread {
            var offset = 0
            data.withUnsafeBytes { bytes in
                while offset < bytes.count {
                    let piece = min(10_000, bytes.count - offset)
                    let sent = send(writeEnd, bytes.baseAddress! + offset, piece, Int32(MSG_NOSIGNAL))
                    if sent < 0 && errno == EINTR { continue }
                    if sent <= 0 { break }
                    offset += sent
                }
            }
            close(writeEnd)
        }
        writer.start()
        var source = FileDescriptorByteSource(fileDescriptor: readEnd)
        try expectStreamMatchesBuffer(&source, data: data, using: streaming)
    }

    @Test func readErrorsCarryErrno() throws {
        var closed = FileDescriptorByteSource(fileDescriptor: -1)
        #expect(throws: ChunkingError.readFailed(errno: EBADF, detail: String(cString: strerror(EBADF)))) {
            try streaming.forEachChunk(of: &closed) { _, _ in }
        }
        let directory = open(FileManager.default.temporaryDirectory.path, O_RDONLY | O_DIRECTORY)
        try #require(directory >= 0)
        defer { close(directory) }
        var notAFile = FileDescriptorByteSource(fileDescriptor: directory)
        #expect(throws: ChunkingError.readFailed(errno: EISDIR, detail: String(cString: strerror(EISDIR)))) {
            try streaming.forEachChunk(of: &notAFile) { _, _ in }
        }
    }

    @Test(arguments: LyingByteSource.Lie.allCases)
    func rejectsImpossibleReadCounts(lie: LyingByteSource.Lie) throws {
        // The lie comes after 300,000 honest bytes, in the middle of an undecided chunk.
        var source = LyingByteSource(honestBytes: 300_000, lie: lie)
        var delivered = 0
        let requested = StreamingChunker.readWindow + Chunker.maximumChunkSize - 300_000
        #expect(throws: ChunkingError.invalidReadCount(returned: lie.count(requested: requested), requested: requested)) {
            try streaming.forEachChunk(of: &source) { _, _ in delivered += 1 }
        }
        #expect(delivered == 0)
    }

    @Test func sourceAndBodyErrorsStopTheStream() throws {
        var failing = FailingByteSource(bytesBeforeFailure: 9 << 20)
        var delivered = 0
        #expect(throws: FailingByteSource.Failure()) {
            try streaming.forEachChunk(of: &failing) { _, _ in delivered += 1 }
        }
        // All-equal bytes never cut, so the maximum-size chunks before the failure arrive.
        #expect(delivered == (9 << 20) / Chunker.maximumChunkSize)

        struct Stop: Error {}
        let data = ChunkerFixtures.pseudoRandom(count: 12 << 20, seed: 28)
        var source = ScriptedByteSource(data: data, readSizes: [1 << 20])
        var calls = 0
        #expect(throws: Stop.self) {
            try streaming.forEachChunk(of: &source) { _, _ in
                calls += 1
                if calls == 2 { throw Stop() }
            }
        }
        #expect(calls == 2)
        // The instance is usable again after an error.
        var fresh = ScriptedByteSource(data: data, readSizes: [1 << 20])
        try expectStreamMatchesBuffer(&fresh, data: data, using: streaming)
    }
}
