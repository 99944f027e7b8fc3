@testable import CoffreClient
import CoffreCrypto
import Testing

/// Two chunks opened together (`openCommitted(_:_:using:)`, the commitments hashed as a pair)
/// must each get exactly what `openCommitted` gives that chunk alone — plaintext or error —
/// whatever the other chunk is: longer, shorter, empty, refused at any step. A refusal leaves
/// nothing decrypted in its buffer, and the blobs are never written.
@Suite struct ChunkCipherCommittedPairOpeningTests {
    let cipher = PipelineFixtures.cipher()
    /// One workspace for every pair of a test, as the gateway's pool reuses them.
    let workspace: CommittedPairWorkspace

    init() throws {
        workspace = try CommittedPairWorkspace(for: cipher)
    }

    /// A blob and the reference it is opened under.
    typealias Chunk = (blob: [UInt8], reference: ChunkReference)

    /// `chunk` opened alone, as `openCommitted` does.
    func alone(_ chunk: Chunk) -> Result<[UInt8], CryptoFormatError> {
        Result { () throws(CryptoFormatError) in
            try ByteAccess.with(chunk.blob) { (raw: UnsafeRawBufferPointer) throws(CryptoFormatError) in
                try cipher.openCommitted(raw, reference: chunk.reference)
            }
        }
    }

    /// Opens `first` and `second` together and checks each outcome against `alone`, the wiped
    /// buffers behind refusals and the untouched blobs; returns the outcomes.
    @discardableResult
    func expectPairMatchesAlone(
        _ first: Chunk, _ second: Chunk, sourceLocation: SourceLocation = #_sourceLocation
    ) -> (Result<[UInt8], CryptoFormatError>, Result<[UInt8], CryptoFormatError>) {
        let size = ChunkCipher.maximumBlobByteCount + 1
        let firstBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        let secondBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer {
            firstBuffer.deallocate()
            secondBuffer.deallocate()
        }
        firstBuffer.initializeMemory(as: UInt8.self, repeating: 0)
        secondBuffer.initializeMemory(as: UInt8.self, repeating: 0)
        let (firstBlob, secondBlob) = (first.blob, second.blob)
        let outcomes = firstBlob.withUnsafeBytes { a in
            secondBlob.withUnsafeBytes { b in
                cipher.openCommitted(
                    .init(blob: a, plaintext: firstBuffer, reference: first.reference),
                    .init(blob: b, plaintext: secondBuffer, reference: second.reference), using: workspace)
            }
        }
        var opened: [Result<[UInt8], CryptoFormatError>] = []
        for (outcome, buffer, chunk) in [(outcomes.first, firstBuffer, first), (outcomes.second, secondBuffer, second)] {
            let bytes = outcome.map { copiedBytes(UnsafeRawBufferPointer(rebasing: buffer[0..<$0])) }
            if case .failure = bytes {
                #expect(isAllZero(UnsafeRawBufferPointer(buffer)), "plaintext left behind a refusal", sourceLocation: sourceLocation)
            }
            switch (alone(chunk), bytes) {
            case (.success(let a), .success(let b)): #expect(a == b, sourceLocation: sourceLocation)
            case (.failure(let a), .failure(let b)): #expect(a == b, sourceLocation: sourceLocation)
            case (let a, let b): Issue.record("alone \(a), in a pair \(b)", sourceLocation: sourceLocation)
            }
            opened.append(bytes)
        }
        #expect(first.blob == firstBlob && second.blob == secondBlob, sourceLocation: sourceLocation)
        return (opened[0], opened[1])
    }

    func sealed(_ length: Int, seed: UInt64) throws -> Chunk {
        let sealed = try cipher.seal(ChunkerFixtures.pseudoRandom(count: length, seed: seed))
        return (sealed.blob, sealed.reference)
    }

    @Test func opensPairsOfEveryLengthAroundBlocksAndSlices() throws {
        let slice = ChunkCipher.interleaveSliceByteCount
        let lengths = [0, 1, 63, 64, 65, 1000, slice - 1, slice, slice + 1, 3 * slice + 7, 1 << 20]
        for (index, a) in lengths.enumerated() {
            for b in [lengths[(index * 3) % lengths.count], a, lengths[lengths.count - 1 - index]] {
                let first = try sealed(a, seed: UInt64(a) + 1)
                let second = try sealed(b, seed: UInt64(b) + 1000)
                let (x, y) = expectPairMatchesAlone(first, second)
                #expect(try x.get() == ChunkerFixtures.pseudoRandom(count: a, seed: UInt64(a) + 1))
                #expect(try y.get() == ChunkerFixtures.pseudoRandom(count: b, seed: UInt64(b) + 1000))
            }
        }
        // The largest chunks, both at once.
        let largest = Int(ChunkCipher.maximumPlaintextByteCount)
        expectPairMatchesAlone(try sealed(largest, seed: 5), try sealed(largest - 1, seed: 6))
    }

    @Test func eachRefusalStaysWithItsChunk() throws {
        // Refusals at every step, on either side of a pair, with a good partner of either size.
        let key = try SecureRandom.bytes(count: 32)
        let hello = Array("hello".utf8)
        var refused: [Chunk] = []
        for (framed, length) in [
            ([0, 0, 0, 9] + hello + [0], 5),  // framing
            ([0, 0, 0, 5] + hello + [1], 5),  // padding
            ([0, 0, 0, 5] + hello + [0], 4),  // the manifest's length
            ([0, 0, 0, 5] + hello + [0], 5),  // the key commitment
        ] as [([UInt8], UInt32)] {
            let blob = try ChunkCipherTests.craftedBlob(framed: framed, key: key)
            refused.append((blob, try ChunkCipherTests.reference(for: blob, key: key, length: length)))
        }
        let good = try sealed(200_000, seed: 41)
        var tampered = good
        tampered.blob[tampered.blob.count / 2] ^= 0x10
        refused.append(tampered)  // the tag
        var version = good
        version.blob[0] = 7
        refused.append(version)  // the version
        refused.append((Array(good.blob.prefix(20)), good.reference))  // the size
        let other = try sealed(90_000, seed: 42)
        refused.append((other.blob, good.reference))  // another chunk's blob under this key: the tag
        for partner in [good, try sealed(10, seed: 43), try sealed(0, seed: 44)] {
            for chunk in refused {
                let (x, y) = expectPairMatchesAlone(chunk, partner)
                #expect(x.isFailure && !y.isFailure)
                let (u, v) = expectPairMatchesAlone(partner, chunk)
                #expect(!u.isFailure && v.isFailure)
            }
        }
        for (a, b) in zip(refused, refused.reversed()) {
            let (x, y) = expectPairMatchesAlone(a, b)
            #expect(x.isFailure && y.isFailure)
        }
    }

    @Test func theSameBlobTwiceAndSwappedPlaintextsAreTold() throws {
        let a = try sealed(70_000, seed: 51)
        let b = try sealed(70_000, seed: 52)
        expectPairMatchesAlone(a, a)
        // Each blob under the other's reference: the tags refuse both.
        let (x, y) = expectPairMatchesAlone((a.blob, b.reference), (b.blob, a.reference))
        #expect(x.isFailure && y.isFailure)
    }
}

extension Result {
    /// True for `.failure`.
    fileprivate var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
