@testable import CoffreServer
import CoffreProtocol
import Testing

/// `SmallBlobCache`: its bounds, its keys (vault and blob), and the generation that keeps a
/// read from before a deletion out.
@Suite struct SmallBlobCacheTests {
    private func blob(_ size: Int) -> (id: BlobID, bytes: [UInt8]) { SyncSamples.blob(size) }

    @Test func keepsSmallBlobsPerVaultOnly() {
        let cache = SmallBlobCache()
        let vault = SyncSamples.vaultID()
        let other = SyncSamples.vaultID()
        let small = blob(100)
        cache.insert(small.bytes, as: small.id, in: vault, generation: cache.generation)
        #expect(cache.bytes(of: small.id, in: vault) == small.bytes)
        #expect(cache.bytes(of: small.id, in: other) == nil, "another vault's copy is never answered")
        let large = blob(SmallBlobCache.maxBlobBytes + 1)
        cache.insert(large.bytes, as: large.id, in: vault, generation: cache.generation)
        #expect(cache.bytes(of: large.id, in: vault) == nil)
        #expect(cache.usage.blobs == 1 && cache.usage.bytes == 100)
    }

    @Test func staysWithinItsCountAndBytes() {
        let byCount = SmallBlobCache(capacity: 3, maxBytes: 1 << 20)
        let vault = SyncSamples.vaultID()
        let blobs = (0..<10).map { _ in blob(1_000) }
        for blob in blobs { byCount.insert(blob.bytes, as: blob.id, in: vault, generation: byCount.generation) }
        #expect(byCount.usage.blobs == 3 && byCount.usage.bytes == 3_000)
        #expect(byCount.bytes(of: blobs[9].id, in: vault) == blobs[9].bytes, "the newest is kept")

        let byBytes = SmallBlobCache(capacity: 1_000, maxBytes: 40_000)
        let large = (0..<10).map { _ in blob(SmallBlobCache.maxBlobBytes) }
        for blob in large { byBytes.insert(blob.bytes, as: blob.id, in: vault, generation: byBytes.generation) }
        #expect(byBytes.usage.blobs == 2 && byBytes.usage.bytes == 2 * SmallBlobCache.maxBlobBytes)
        #expect(byBytes.bytes(of: large[9].id, in: vault) == large[9].bytes)
    }

    @Test func aReadFromBeforeADeletionIsNotKept() {
        let cache = SmallBlobCache()
        let vault = SyncSamples.vaultID()
        let kept = blob(10)
        cache.insert(kept.bytes, as: kept.id, in: vault, generation: cache.generation)
        let stale = blob(10)
        let generation = cache.generation
        // A blob is deleted after `stale` was opened, before its bytes are inserted.
        cache.forget([blob(1).id], in: vault)
        cache.insert(stale.bytes, as: stale.id, in: vault, generation: generation)
        #expect(cache.bytes(of: stale.id, in: vault) == nil)
        #expect(cache.bytes(of: kept.id, in: vault) == kept.bytes, "other blobs stay")
    }

    @Test func forgettingDropsExactlyWhatWasDeleted() {
        let cache = SmallBlobCache()
        let vault = SyncSamples.vaultID()
        let other = SyncSamples.vaultID()
        let (first, second) = (blob(10), blob(20))
        for target in [vault, other] {
            for item in [first, second] { cache.insert(item.bytes, as: item.id, in: target, generation: cache.generation) }
        }
        cache.forget([first.id], in: vault)
        #expect(cache.bytes(of: first.id, in: vault) == nil)
        #expect(cache.bytes(of: second.id, in: vault) == second.bytes)
        #expect(cache.bytes(of: first.id, in: other) == first.bytes, "the same id in another vault stays")
        cache.forget(vault: other)
        #expect(cache.bytes(of: first.id, in: other) == nil && cache.bytes(of: second.id, in: other) == nil)
        #expect(cache.usage.blobs == 1 && cache.usage.bytes == 20)
    }
}
