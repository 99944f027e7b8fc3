@testable import CoffreClient
import CoffreCrypto
import CoffreProtocol
import Testing

/// `BlobCopyPool`: copies are exact, refill the smallest spare array that fits, never write
/// into an array someone else still holds, and keep no more spare memory than allowed, the
/// largest arrays first.
@Suite struct BlobCopyPoolTests {
    /// A sealed chunk of `count` pseudo-random plaintext bytes.
    static func sealed(_ count: Int, seed: UInt64) throws -> SealedChunk {
        try PipelineFixtures.cipher().seal(ChunkerFixtures.pseudoRandom(count: count, seed: seed))
    }

    /// Runs `body` with `chunk` as the sink sees it from `FileSealer`.
    static func asSinkSees<R>(_ chunk: SealedChunk, _ body: (borrowing SealedBlob) throws -> R) rethrows -> R {
        try chunk.blob.withUnsafeBytes { bytes in
            let blob = SealedBlob(index: 0, plaintextOffset: 0, reference: chunk.reference, isKnown: false, bytes: bytes)
            return try body(blob)
        }
    }

    static func payload(_ bytes: [UInt8]) throws -> BlobPayload {
        BlobPayload(id: try #require(BlobID(bytes: try SHA256.hash(bytes))), bytes: bytes)
    }

    static func address(_ bytes: [UInt8]) -> UnsafeRawPointer? {
        bytes.withUnsafeBytes { $0.baseAddress }
    }

    @Test func anEmptyPoolCopiesIntoANewArray() throws {
        var pool = BlobCopyPool(spareByteLimit: 1 << 20)
        let chunk = try Self.sealed(5000, seed: 1)
        let copy = Self.asSinkSees(chunk) { pool.copy($0) }
        #expect(copy == chunk.blob)
        #expect(pool.spareCount == 0)
    }

    @Test func aRecycledArrayIsRefilledInPlaceWithTheNewBlobOnly() throws {
        var pool = BlobCopyPool(spareByteLimit: 1 << 20)
        let large = try Self.sealed(40_000, seed: 2), small = try Self.sealed(3000, seed: 3)
        let first = Self.asSinkSees(large) { pool.copy($0) }
        let firstAddress = Self.address(first)
        pool.recycle([try Self.payload(first)])
        #expect(pool.spareCount == 1)
        // `first` still refers to the array here: the copy must not write into it.
        let shared = Self.asSinkSees(small) { pool.copy($0) }
        #expect(shared == small.blob)
        #expect(first == large.blob)
        #expect(Self.address(shared) != firstAddress)
        #expect(pool.spareCount == 0)
    }

    @Test func theOnlyOwnerGetsItsMemoryReused() throws {
        var pool = BlobCopyPool(spareByteLimit: 1 << 20)
        let large = try Self.sealed(40_000, seed: 4), small = try Self.sealed(3000, seed: 5)
        var address: UnsafeRawPointer?
        do {
            let first = Self.asSinkSees(large) { pool.copy($0) }
            address = Self.address(first)
            pool.recycle([try Self.payload(first)])
        }
        let refilled = Self.asSinkSees(small) { pool.copy($0) }
        // Exactly the new blob: no byte of the longer one left behind its end.
        #expect(refilled == small.blob)
        #expect(Self.address(refilled) == address)
    }

    @Test func theSmallestSpareThatFitsIsChosen() throws {
        var pool = BlobCopyPool(spareByteLimit: 1 << 20)
        let sizes = [60_000, 2000, 20_000, 9000]
        var addresses: [Int: UnsafeRawPointer?] = [:]
        do {
            var payloads: [BlobPayload] = []
            for (number, size) in sizes.enumerated() {
                let copy = Self.asSinkSees(try Self.sealed(size, seed: UInt64(10 + number))) { pool.copy($0) }
                addresses[size] = Self.address(copy)
                payloads.append(try Self.payload(copy))
            }
            pool.recycle(payloads)
        }
        #expect(pool.spareCount == 4)
        // 8,500 plaintext bytes seal to fewer than the 9,000-byte chunk's blob, more than 2,000's.
        let chunk = try Self.sealed(8500, seed: 20)
        let copy = Self.asSinkSees(chunk) { pool.copy($0) }
        #expect(copy == chunk.blob)
        #expect(Self.address(copy) == addresses[9000])
        // Larger than every spare: a new array, the spares stay.
        let huge = try Self.sealed(100_000, seed: 21)
        #expect(Self.asSinkSees(huge) { pool.copy($0) } == huge.blob)
        #expect(pool.spareCount == 3)
    }

    @Test func spareMemoryStaysWithinTheLimit() throws {
        let chunks = try (0..<6).map { try Self.sealed(10_000, seed: UInt64(30 + $0)) }
        var pool = BlobCopyPool(spareByteLimit: 3 * chunks[0].blob.count + 100)
        var payloads: [BlobPayload] = []
        for chunk in chunks {
            payloads.append(try Self.payload(Self.asSinkSees(chunk) { pool.copy($0) }))
        }
        let capacity = payloads[0].bytes.capacity
        pool.recycle(payloads)
        #expect(pool.spareCount == pool.spareByteLimit / capacity)
        #expect(pool.spareCount < chunks.count)
    }

    @Test func overTheLimitTheSmallestSparesGo() throws {
        // Small arrays come back first; the large ones that most blobs fit in are kept.
        let sizes = [2000, 9000, 60_000, 20_000]
        var payloads: [BlobPayload] = []
        var addresses: [Int: UnsafeRawPointer?] = [:]
        var pool = BlobCopyPool(spareByteLimit: 1)
        for (number, size) in sizes.enumerated() {
            let copy = Self.asSinkSees(try Self.sealed(size, seed: UInt64(40 + number))) { pool.copy($0) }
            addresses[size] = Self.address(copy)
            payloads.append(try Self.payload(copy))
        }
        let capacity = { (size: Int) in payloads[sizes.firstIndex(of: size)!].bytes.capacity }
        pool = BlobCopyPool(spareByteLimit: capacity(60_000) + capacity(20_000))
        pool.recycle(payloads)
        payloads.removeAll()
        #expect(pool.spareCount == 2)
        // A blob the 9,000-byte array held would fit there; it goes to the 20,000-byte one now.
        let chunk = try Self.sealed(8500, seed: 50)
        let copy = Self.asSinkSees(chunk) { pool.copy($0) }
        #expect(copy == chunk.blob)
        #expect(Self.address(copy) == addresses[20_000])
        #expect(pool.spareCount == 1)
    }

    @Test func emptyArraysAreNotKept() throws {
        var pool = BlobCopyPool(spareByteLimit: 1 << 20)
        pool.recycle([BlobPayload(id: try #require(BlobID(bytes: try SHA256.hash([]))), bytes: [])])
        #expect(pool.spareCount == 0)
    }
}
