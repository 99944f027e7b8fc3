@testable import CoffreClient
import CoffreProtocol
import HTTPServer
import Synchronization
import Testing

/// Content through `VaultDAVStorage`: range reads fetch only the chunks they cover; a large
/// PUT streams through the sealer with a bounded amount of body held at any time.
@Suite("Vault WebDAV content")
struct VaultDAVStreamingTests {
    typealias F = VaultDAVFixture

    @Test func rangeReadsFetchOnlyTheChunksTheyCover() async throws {
        let fixture = try await F()
        let dav = try await fixture.gateway()
        let content = F.noise(400_000, seed: 42)
        _ = try await dav.write(try F.path("big.bin"), body: F.body(content), condition: .always)
        let reader = try await fixture.gateway()
        fixture.world.shelf.resetCounters()
        #expect(try await F.read(reader, "big.bin", range: 100...199) == Array(content[100...199]))
        #expect(fixture.world.shelf.counters.blobsFetched == 1)
        // The same chunk again comes from the cache.
        #expect(try await F.read(reader, "big.bin", range: 0...9) == Array(content[0...9]))
        #expect(fixture.world.shelf.counters.blobsFetched == 1)
        let tail = try await F.read(reader, "big.bin", range: 399_990...399_999)
        #expect(tail == Array(content[399_990...]))
        // The last chunk, or the last two when the last is shorter than 10 bytes.
        #expect((2...3).contains(fixture.world.shelf.counters.blobsFetched))
        #expect(try await F.read(reader, "big.bin") == content)
        await #expect(throws: DAVError.self) { try await reader.read(try F.path("big.bin"), range: 0...400_000) }
    }

    @Test func aSmallPutIsOneUploadWithoutAQuestion() async throws {
        let fixture = try await F()
        let dav = try await fixture.gateway()
        fixture.world.shelf.resetCounters()
        _ = try await dav.write(try F.path("small"), body: F.body(F.noise(4096, seed: 9)), condition: .always)
        #expect(fixture.world.shelf.counters.missingQuestions == 0 && fixture.world.shelf.counters.blobsPut == 1)
        // The same bytes again: the server takes the blob it holds once more, nothing breaks.
        _ = try await dav.write(try F.path("again"), body: F.body(F.noise(4096, seed: 9)), condition: .always)
        #expect(try await F.read(dav, "again") == F.noise(4096, seed: 9))
        #expect(fixture.world.shelf.storedIDs.count == 1)
    }

    @Test func aTamperedChunkIsNeverServed() async throws {
        let fixture = try await F()
        let dav = try await fixture.gateway()
        _ = try await dav.write(try F.path("f"), body: F.body("secret content"), condition: .always)
        let id = try #require(fixture.world.shelf.storedIDs.first)
        var bytes = try #require(fixture.world.shelf.blob(id))
        bytes[bytes.count - 1] ^= 1
        fixture.world.shelf.tamper(id, with: bytes)
        let reader = try await fixture.gateway()
        await #expect(throws: (any Error).self) { try await F.read(reader, "f") }
    }

    @Test func anotherFilesBlobServedUnderAChunksIDIsRefused() async throws {
        // Reads do not hash blobs (docs/threat-model.md, "Why a read need not hash the blob"):
        // a blob of the same size served under another chunk's id fails on the tag instead.
        let fixture = try await F()
        let dav = try await fixture.gateway()
        _ = try await dav.write(try F.path("a"), body: F.body(F.noise(4000, seed: 61)), condition: .always)
        let idA = try #require(fixture.world.shelf.storedIDs.first)
        _ = try await dav.write(try F.path("b"), body: F.body(F.noise(4000, seed: 62)), condition: .always)
        let idB = try #require(fixture.world.shelf.storedIDs.first { $0 != idA })
        fixture.world.shelf.tamper(idA, with: try #require(fixture.world.shelf.blob(idB)))
        let reader = try await fixture.gateway()
        await #expect(throws: CryptoFormatError.authenticationFailed(structure: "chunk blob")) { try await F.read(reader, "a") }
        #expect(try await F.read(reader, "b") == F.noise(4000, seed: 62))
    }

    /// A body of `total` bytes produced piece by piece, which records on every piece how far
    /// it is ahead of what the server has received.
    struct MeteredBody: AsyncSequence, Sendable {
        typealias Element = [UInt8]
        let total: Int
        let piece: Int
        let shelf: BlobShelf
        let worstLead: Lead

        /// The largest lead seen.
        final class Lead: Sendable {
            let value = Mutex(0)
        }

        struct Iterator: AsyncIteratorProtocol {
            let body: MeteredBody
            var produced = 0
            mutating func next() async throws -> [UInt8]? {
                guard produced < body.total else { return nil }
                let lead = produced - body.shelf.counters.bytesPut
                body.worstLead.value.withLock { $0 = Swift.max($0, lead) }
                let count = Swift.min(body.piece, body.total - produced)
                let bytes = F.noise(count, seed: UInt64(produced + 1))
                produced += count
                return bytes
            }
        }

        func makeAsyncIterator() -> Iterator { Iterator(body: self) }
    }

    @Test func aLargePutStreamsWithBoundedMemory() async throws {
        let fixture = try await F()
        let dav = try await fixture.gateway()
        let total = 24 << 20
        // Queue (1 MiB) + the chunker's window (5 MiB) + buffers of the pipeline and the upload groups in flight.
        let bound = 8 << 20
        let body = MeteredBody(total: total, piece: 64 << 10, shelf: fixture.world.shelf, worstLead: MeteredBody.Lead())
        let result = try await dav.write(try F.path("large.bin"), body: body, condition: .absent)
        #expect(result.created)
        #expect(body.worstLead.value.withLock { $0 } <= bound)
        let info = try #require(try await dav.info(at: try F.path("large.bin"), withProperties: false))
        #expect(info.contentLength == Int64(total))
        // Spot checks of the content, piece by piece as it was produced.
        for start in [0, 5 << 20, total - (64 << 10)] {
            let expected = F.noise(64 << 10, seed: UInt64(start + 1))
            #expect(try await F.read(dav, "large.bin", range: Int64(start)...Int64(start + (64 << 10) - 1)) == expected)
        }
    }

    @Test func aBodyThatFailsMidwayCommitsNothing() async throws {
        struct Broken: Error {}
        struct FailingBody: AsyncSequence, Sendable {
            typealias Element = [UInt8]
            struct Iterator: AsyncIteratorProtocol {
                var sent = 0
                mutating func next() async throws -> [UInt8]? {
                    sent += 1
                    if sent > 20 { throw Broken() }
                    return F.noise(64 << 10, seed: UInt64(sent))
                }
            }
            func makeAsyncIterator() -> Iterator { Iterator() }
        }
        let fixture = try await F()
        let dav = try await fixture.gateway()
        await #expect(throws: Broken.self) { try await dav.write(try F.path("partial"), body: FailingBody(), condition: .always) }
        #expect(try await fixture.world.liveEntries().isEmpty)
        // The sealer is free for the next write.
        _ = try await dav.write(try F.path("after"), body: F.body(F.noise(300_000, seed: 3)), condition: .always)
        #expect(try await F.read(dav, "after") == F.noise(300_000, seed: 3))
    }
}
