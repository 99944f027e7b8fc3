@testable import CoffreClient
import CoffreCrypto
import Testing

/// The gateway's chunk cache gives a plaintext only to a reference with the key and length it
/// was opened under: reads no longer check blob ids, so an id alone must not find a chunk.
@Suite struct VaultChunkCacheTests {
    let cipher = PipelineFixtures.cipher()

    func sealed(_ text: String) throws -> (plaintext: [UInt8], reference: ChunkReference) {
        let plaintext = Array(text.utf8)
        return (plaintext, try cipher.seal(plaintext).reference)
    }

    @Test func givesAChunkToTheReferenceItWasOpenedUnder() throws {
        let cache = VaultChunkCache(capacity: 1 << 20)
        let chunk = try sealed("kept plaintext")
        #expect(cache.chunk(for: chunk.reference) == nil)
        cache.keep(chunk.plaintext, for: chunk.reference)
        #expect(cache.chunk(for: chunk.reference) == chunk.plaintext)
    }

    @Test func anotherKeyOrLengthUnderTheSameIDFindsNothing() throws {
        let cache = VaultChunkCache(capacity: 1 << 20)
        let honest = try sealed("an honest chunk"), other = try sealed("another chunk!!")
        cache.keep(honest.plaintext, for: honest.reference)
        // A manifest pairing the honest chunk's id with another key, or another length.
        let otherKey = try ChunkReference(blobID: honest.reference.blobID, key: other.reference.key, length: honest.reference.length)
        let otherLength = try ChunkReference(blobID: honest.reference.blobID, key: honest.reference.key, length: honest.reference.length - 1)
        #expect(cache.chunk(for: otherKey) == nil)
        #expect(cache.chunk(for: otherLength) == nil)
        // Kept the other way round: what a member and a server in league could plant under the
        // honest id is never given to the honest reference.
        let poisoned = VaultChunkCache(capacity: 1 << 20)
        poisoned.keep(other.plaintext, for: otherKey)
        #expect(poisoned.chunk(for: honest.reference) == nil)
        #expect(poisoned.chunk(for: otherKey) == other.plaintext)
        // The honest chunk opened later replaces it under the id.
        poisoned.keep(honest.plaintext, for: honest.reference)
        #expect(poisoned.chunk(for: honest.reference) == honest.plaintext)
        #expect(poisoned.chunk(for: otherKey) == nil)
    }

    @Test func staysWithinItsCapacityOldestOutFirst() throws {
        let cache = VaultChunkCache(capacity: 4000)
        let chunks = try (0..<5).map { index in
            let plaintext = ChunkerFixtures.pseudoRandom(count: 1000, seed: UInt64(index) + 40)
            return (plaintext, try cipher.seal(plaintext).reference)
        }
        for (plaintext, reference) in chunks { cache.keep(plaintext, for: reference) }
        #expect(cache.chunk(for: chunks[0].1) == nil)
        for (plaintext, reference) in chunks.dropFirst() { #expect(cache.chunk(for: reference) == plaintext) }
        // Keeping one again does not count it twice.
        cache.keep(chunks[4].0, for: chunks[4].1)
        for (plaintext, reference) in chunks.dropFirst() { #expect(cache.chunk(for: reference) == plaintext) }
        // Larger than a quarter of the capacity: not kept.
        let large = ChunkerFixtures.pseudoRandom(count: 1001, seed: 50)
        let largeReference = try cipher.seal(large).reference
        cache.keep(large, for: largeReference)
        #expect(cache.chunk(for: largeReference) == nil)
    }
}
