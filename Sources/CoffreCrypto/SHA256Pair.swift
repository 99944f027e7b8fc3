import CSHA256x2

/// Two independent SHA-256 or HMAC-SHA256 streams hashed in lock-step on one core: the x86
/// SHA extensions run the two streams' rounds interleaved, about 1.25× the bytes per second of
/// one stream on this project's machines (docs/performance.md, "Client encryption pipeline").
///
/// `update(a:b:)` hashes the whole blocks the two inputs have in common two at a time and the
/// rest of the longer one alone; the digests are exactly those of `SHA256` and `HMACSHA256`.
/// Not thread-safe: one pair per thread.
public final class SHA256Pair {
    /// True when this CPU has the SHA extensions (with SSSE3 and SSE4.1), checked once with
    /// CPUID. Without them, `SHA256Stream`, `HMACSHA256Pads` and this type refuse to start
    /// and callers use OpenSSL's `SHA256` and `HMACSHA256`.
    public static let isAvailable: Bool = coffre_sha256x2_available() != 0

    /// The first stream.
    public let a: SHA256Stream
    /// The second stream.
    public let b: SHA256Stream

    /// Pairs two distinct streams.
    public init(a: SHA256Stream, b: SHA256Stream) {
        precondition(a !== b, "a pair needs two streams")
        self.a = a
        self.b = b
    }

    /// Feeds `bytesA` into `a` and `bytesB` into `b`, as `a.update(bytesA)` then
    /// `b.update(bytesB)` would, with the blocks they have in common hashed two at a time.
    public func update(a bytesA: UnsafeRawBufferPointer, b bytesB: UnsafeRawBufferPointer) {
        // Each stream first completes its buffered block, so both go on from a block boundary.
        let restA = a.absorbIntoTail(bytesA)
        let restB = b.absorbIntoTail(bytesB)
        let blocks = min(restA.count, restB.count) / SHA256Stream.blockByteCount
        guard blocks > 0 else {
            a.update(restA)
            b.update(restB)
            return
        }
        coffre_sha256x2_blocks(
            a.state, restA.baseAddress!.assumingMemoryBound(to: UInt8.self),
            b.state, restB.baseAddress!.assumingMemoryBound(to: UInt8.self), blocks)
        a.didCompress(blocks: blocks)
        b.didCompress(blocks: blocks)
        let paired = blocks * SHA256Stream.blockByteCount
        a.update(UnsafeRawBufferPointer(rebasing: restA[paired...]))
        b.update(UnsafeRawBufferPointer(rebasing: restB[paired...]))
    }

    /// Throws unless `isAvailable`.
    static func requireAvailable() throws(CryptoError) {
        guard isAvailable else { throw CryptoError.invalidParameter("this CPU has no SHA extensions for SHA256Stream") }
    }
}
