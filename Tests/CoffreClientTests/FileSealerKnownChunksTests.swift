@testable import CoffreClient
import CoffreCrypto
import Foundation
import Testing

/// `FileSealer.seal(_:reusing:to:)`: chunks the server holds are recognised by their key and
/// not sealed again; nothing else is taken for them.
@Suite struct FileSealerKnownChunksTests {
    static let original = ChunkerFixtures.pseudoRandom(count: 9 << 20, seed: 606)

    /// What one seal gave the sink: per chunk, whether it was known and its bytes.
    struct Delivered: Sendable {
        let file: SealedFile
        let known: [Bool]
        let blobs: [[UInt8]]
    }

    static func seal(_ data: [UInt8], with sealer: FileSealer, reusing known: KnownChunks?) async throws -> Delivered {
        try await withTimeout {
            var flags: [Bool] = [], blobs: [[UInt8]] = []
            let file = try await sealer.seal(ScriptedByteSource(data: data, readSizes: [1 << 20]), reusing: known) { blob in
                flags.append(blob.isKnown)
                blobs.append(blob.copyBytes())
            }
            return Delivered(file: file, known: flags, blobs: blobs)
        }
    }

    static func sealer(_ cipher: ChunkCipher = PipelineFixtures.cipher()) throws -> FileSealer {
        FileSealer(chunker: try PipelineFixtures.chunker(), cipher: cipher, workerCount: 2)
    }

    @Test func unchangedChunksOfAnEditedFileAreNotSealedAgain() async throws {
        let sealer = try Self.sealer()
        let before = try await Self.seal(Self.original, with: sealer, reusing: nil)
        #expect(before.file.chunks.count >= 4)
        #expect(!before.known.contains(true))
        var edited = Self.original
        edited.replaceSubrange((edited.count / 2)..<(edited.count / 2 + 10), with: Array("0123456789".utf8))
        let plain = try await Self.seal(edited, with: sealer, reusing: nil)
        let reused = try await Self.seal(edited, with: sealer, reusing: KnownChunks(before.file.chunks))
        // The same manifest as a full seal; only the chunks that changed carry bytes.
        #expect(reused.file.chunks == plain.file.chunks)
        #expect(reused.file.byteCount == UInt64(edited.count))
        let previous = Set(before.file.chunks.map(\.blobID))
        for (index, chunk) in reused.file.chunks.enumerated() {
            #expect(reused.known[index] == previous.contains(chunk.blobID))
            #expect(reused.blobs[index] == (reused.known[index] ? [] : plain.blobs[index]))
        }
        #expect(reused.known.contains(false))
        #expect(reused.known.filter { $0 }.count == plain.file.chunks.count - reused.known.filter { !$0 }.count)
        #expect(sealer.freeBufferCount == sealer.bufferCount)
    }

    @Test func aKnownKeyWithAnotherLengthIsNotTaken() async throws {
        let sealer = try Self.sealer()
        let plain = try await Self.seal(Self.original, with: sealer, reusing: nil)
        // An index row that disagrees with the chunk (same key, other length, other blob id).
        let forged = try plain.file.chunks.map { chunk in
            try ChunkReference(blobID: [UInt8](repeating: 0xAB, count: 32), key: chunk.key, length: chunk.length - 1)
        }
        let sealed = try await Self.seal(Self.original, with: sealer, reusing: KnownChunks(forged))
        #expect(sealed.file.chunks == plain.file.chunks)
        #expect(!sealed.known.contains(true))
        #expect(sealed.blobs == plain.blobs)
    }

    @Test func chunksOfAnotherKeyGenerationAreNotTaken() async throws {
        let other = ChunkCipher(convergenceKey: SecretBytes(copying: (0..<32).map { UInt8(0x90 + $0) }))
        let sealedElsewhere = try await Self.seal(Self.original, with: try Self.sealer(other), reusing: nil)
        let sealer = try Self.sealer()
        let plain = try await Self.seal(Self.original, with: sealer, reusing: nil)
        let sealed = try await Self.seal(Self.original, with: sealer, reusing: KnownChunks(sealedElsewhere.file.chunks))
        #expect(!sealed.known.contains(true))
        #expect(sealed.file.chunks == plain.file.chunks)
    }

    @Test func anEmptyTableSealsEverything() async throws {
        let sealer = try Self.sealer()
        let sealed = try await Self.seal(Self.original, with: sealer, reusing: KnownChunks([]))
        #expect(KnownChunks([]).isEmpty)
        #expect(!sealed.known.contains(true))
        #expect(sealed.blobs.allSatisfy { !$0.isEmpty })
    }
}
