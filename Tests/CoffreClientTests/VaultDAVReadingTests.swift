@testable import CoffreClient
import CoffreProtocol
import HTTPServer
import Synchronization
import Testing

/// The gateway's streamed reads: chunks opened two at a time with reused buffers and
/// workspaces must give the content byte for byte for any number of chunks and any range; a
/// chunk refused or missing mid-stream, or a client gone, must end the body right there, after
/// the chunks before it.
@Suite("Vault WebDAV reads")
struct VaultDAVReadingTests {
    typealias F = VaultDAVFixture

    /// A gateway holding `name` with `content`, and that file's chunks in order.
    static func file(_ name: String, _ content: [UInt8], in fixture: F) async throws -> (VaultDAVStorage, [ChunkReference]) {
        let dav = try await fixture.gateway()
        _ = try await dav.write(try F.path(name), body: F.body(content), condition: .always)
        let reader = try await fixture.gateway()
        guard case .entry(let node) = reader.snapshot().lookup(try F.path(name)), let record = node.record else {
            throw DAVError.notFound
        }
        return (reader, try await reader.chunkList(of: record, cipher: try reader.chunkCipher(for: node)))
    }

    /// What a stream delivered before it ended, and how it ended.
    static func stream(_ storage: VaultDAVStorage, _ name: String) async throws -> (delivered: [UInt8], failure: (any Error)?) {
        guard case .stream(_, let produce) = try await storage.read(try F.path(name), range: nil) else {
            Issue.record("not streamed")
            return ([], nil)
        }
        let delivered = Mutex<[UInt8]>([])
        do {
            try await produce { piece in delivered.withLock { $0 += piece } }
            return (delivered.withLock { $0 }, nil)
        } catch {
            return (delivered.withLock { $0 }, error)
        }
    }

    @Test func streamsEveryCountOfChunksAndEveryRange() async throws {
        let fixture = try await F()
        for (index, size) in [1_200_000, 1_300_001].enumerated() {
            let content = F.noise(size, seed: UInt64(70 + index))
            let (reader, chunks) = try await Self.file("f\(index)", content, in: fixture)
            #expect(chunks.count > 9)
            #expect(try await F.read(reader, "f\(index)") == content)
            // Ranges starting and ending inside chunks, of odd and even counts of chunks.
            var offsets: [Int] = [0]
            for chunk in chunks { offsets.append(offsets.last! + Int(chunk.length)) }
            for (from, to) in [(0, 3), (1, 4), (2, 7), (3, chunks.count)] {
                let lower = offsets[from] + 1
                let upper = offsets[to] - 2
                #expect(try await F.read(reader, "f\(index)", range: Int64(lower)...Int64(upper)) == Array(content[lower...upper]))
            }
        }
    }

    @Test(arguments: [2, 3])
    func aChunkRefusedMidStreamEndsTheBodyAfterTheChunksBeforeIt(tampered index: Int) async throws {
        // Chunk 2 is the first of a pair, chunk 3 the second: either way the body stops there.
        let fixture = try await F()
        let content = F.noise(1_500_000, seed: 81)
        let (reader, chunks) = try await Self.file("f", content, in: fixture)
        let id = try #require(BlobID(bytes: chunks[index].blobID))
        var bytes = try #require(fixture.world.shelf.blob(id))
        bytes[bytes.count / 2] ^= 0x04
        fixture.world.shelf.tamper(id, with: bytes)
        let (delivered, failure) = try await Self.stream(reader, "f")
        let before = chunks[..<index].reduce(0) { $0 + Int($1.length) }
        #expect(delivered == Array(content[..<before]))
        #expect(failure as? CryptoFormatError == .authenticationFailed(structure: "chunk blob"))
        // The reader goes on serving what is intact; the refused chunk was not cached.
        #expect(try await F.read(reader, "f", range: 0...Int64(before - 1)) == Array(content[..<before]))
        await #expect(throws: CryptoFormatError.authenticationFailed(structure: "chunk blob")) {
            try await F.read(reader, "f", range: Int64(before)...Int64(before))
        }
    }

    @Test func aBlobLargerThanItsChunkAllowsIsRefusedWhileFetched() async throws {
        // The fetch buffers have room for the largest blob; each fetch is still bounded by its
        // chunk's length.
        let fixture = try await F()
        let content = F.noise(600_000, seed: 91)
        let (reader, chunks) = try await Self.file("f", content, in: fixture)
        let id = try #require(BlobID(bytes: chunks[1].blobID))
        let bound = ChunkCipher.blobByteCount(plaintextLength: Int(chunks[1].length))
        var altered = try #require(fixture.world.shelf.blob(id))
        fixture.world.shelf.tamper(id, with: [UInt8](repeating: 1, count: bound + 1))
        let (delivered, failure) = try await Self.stream(reader, "f")
        #expect(delivered == Array(content[..<Int(chunks[0].length)]))
        guard case .blobTooLarge? = failure as? PipelineError else {
            Issue.record("expected blobTooLarge, got \(String(describing: failure))")
            return
        }
        // Within its bound, an altered blob fails that chunk alone, as the stream reaches it.
        altered[0x40] ^= 1
        fixture.world.shelf.tamper(id, with: altered)
        let (again, refused) = try await Self.stream(reader, "f")
        #expect(again == Array(content[..<Int(chunks[0].length)]))
        #expect(refused as? CryptoFormatError == .authenticationFailed(structure: "chunk blob"))
    }

    @Test func concurrentStreamsShareThePools() async throws {
        let fixture = try await F()
        let content = F.noise(900_000, seed: 95)
        let (reader, _) = try await Self.file("f", content, in: fixture)
        try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<6 { group.addTask { try await F.read(reader, "f") } }
            for try await read in group { #expect(read == content) }
        }
    }

    @Test func rangesAtChunkBoundariesAreExact() async throws {
        let fixture = try await F()
        let content = F.noise(1_400_000, seed: 97)
        let (reader, chunks) = try await Self.file("f", content, in: fixture)
        var offsets: [Int] = [0]
        for chunk in chunks { offsets.append(offsets.last! + Int(chunk.length)) }
        // Whole chunks (odd and even counts), and single bytes either side of each boundary.
        var ranges = [(from: 0, to: 1), (1, 3), (2, 5), (0, chunks.count), (3, chunks.count)]
            .map { offsets[$0.from]...(offsets[$0.to] - 1) }
        for boundary in offsets[1..<chunks.count] {
            ranges += [(boundary - 1)...boundary, boundary...boundary, (boundary - 1)...(boundary - 1)]
        }
        for range in ranges {
            #expect(try await F.read(reader, "f", range: Int64(range.lowerBound)...Int64(range.upperBound)) == Array(content[range]))
        }
    }

    @Test func aBlobMissingMidStreamEndsTheBodyAfterTheChunksBeforeIt() async throws {
        let fixture = try await F()
        let content = F.noise(1_500_000, seed: 83)
        let (reader, chunks) = try await Self.file("f", content, in: fixture)
        let index = chunks.count - 3
        fixture.world.shelf.remove(try #require(BlobID(bytes: chunks[index].blobID)))
        let (delivered, failure) = try await Self.stream(reader, "f")
        #expect(delivered == Array(content[..<chunks[..<index].reduce(0) { $0 + Int($1.length) }]))
        #expect(failure is InProcessRemote.BlobRefused)
    }

    @Test func aClientGoneMidBodyStopsTheRead() async throws {
        let fixture = try await F()
        let content = F.noise(1_500_000, seed: 85)
        let (reader, chunks) = try await Self.file("f", content, in: fixture)
        #expect(chunks.count > 12)
        guard case .stream(_, let produce) = try await reader.read(try F.path("f"), range: nil) else {
            Issue.record("not streamed")
            return
        }
        let pieces = Mutex(0)
        await #expect(throws: HTTPServerError.connectionClosed) {
            try await produce { _ in
                // The connection closes while the third piece is being written.
                if pieces.withLock({ $0 += 1; return $0 }) == 3 { throw HTTPServerError.connectionClosed }
            }
        }
        #expect(pieces.withLock { $0 } == 3)
        // The gateway goes on serving the file whole.
        #expect(try await F.read(reader, "f") == content)
    }
}
