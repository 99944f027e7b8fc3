import COpenSSL
import CSHA256x2

/// One streaming SHA-256 (FIPS 180-4) or HMAC-SHA256 (RFC 2104) over this module's SHA-NI
/// block function instead of OpenSSL, so that two streams can advance in lock-step through
/// `SHA256Pair`. Exists only where `SHA256Pair.isAvailable`; elsewhere use `SHA256` and
/// `HMACSHA256`, which give the same digests.
///
/// Not thread-safe: one instance per stream and thread. The chaining value and the buffered
/// tail of the message are wiped when the stream is released.
public final class SHA256Stream {
    /// Digest (and HMAC tag) length in bytes.
    public static let byteCount = 32
    /// FIPS 180-4 section 5.1.1: SHA-256 works on 512-bit blocks.
    static let blockByteCount = 64
    /// FIPS 180-4 section 5.3.3: the initial hash value H(0).
    static let initialState: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]

    /// H0...H7 as host-order words, what the block function updates.
    let state: UnsafeMutablePointer<UInt32>
    /// The message bytes after the last whole block (fewer than 64).
    private let tail: UnsafeMutableRawPointer
    private var tailCount = 0
    /// Message bytes taken so far; for HMAC this counts the key block.
    private var messageByteCount: UInt64 = 0
    /// The key of an HMAC stream; nil for plain SHA-256.
    private let key: HMACSHA256Pads?

    /// A SHA-256 stream. Throws `invalidParameter` on a CPU without the SHA extensions.
    public convenience init() throws(CryptoError) {
        try self.init(key: nil)
    }

    /// An HMAC-SHA256 stream under the key `pads` were made from.
    public convenience init(hmac pads: HMACSHA256Pads) throws(CryptoError) {
        try self.init(key: pads)
    }

    private init(key: HMACSHA256Pads?) throws(CryptoError) {
        try SHA256Pair.requireAvailable()
        self.key = key
        state = .allocate(capacity: 8)
        tail = .allocate(byteCount: Self.blockByteCount, alignment: 16)
        restart()
    }

    deinit {
        OPENSSL_cleanse(state, 8 * MemoryLayout<UInt32>.size)
        OPENSSL_cleanse(tail, Self.blockByteCount)
        state.deallocate()
        tail.deallocate()
    }

    /// Starts a new message: a fresh digest, or a fresh MAC under the same key (from its saved
    /// inner pad state, RFC 2104 section 4).
    public func restart() {
        if let key {
            state.update(from: key.innerState, count: 8)
            messageByteCount = UInt64(Self.blockByteCount)
        } else {
            Self.initialState.withUnsafeBufferPointer { state.update(from: $0.baseAddress!, count: 8) }
            messageByteCount = 0
        }
        tailCount = 0
    }

    /// Feeds bytes into the stream, hashing whole blocks where they lie.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        let rest = absorbIntoTail(bytes)
        let blocks = rest.count / Self.blockByteCount
        if blocks > 0 { compressInPlace(rest.baseAddress!, blocks: blocks) }
        keepTail(UnsafeRawBufferPointer(rebasing: rest[(blocks * Self.blockByteCount)...]))
    }

    /// Finishes into `output` (exactly 32 bytes): the digest, or the HMAC tag. Only
    /// `restart()` may follow.
    public func finalize(into output: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        guard output.count == Self.byteCount else {
            throw CryptoError.invalidLength(what: "SHA-256 output", expected: Self.byteCount, actual: output.count)
        }
        padAndCompress()
        if let key {
            // RFC 2104 section 2: H(K ⊕ opad, H(K ⊕ ipad, text)), the outer hash from its saved state.
            writeDigest(into: UnsafeMutableRawBufferPointer(start: tail, count: Self.byteCount))
            state.update(from: key.outerState, count: 8)
            messageByteCount = UInt64(Self.blockByteCount + Self.byteCount)
            tailCount = Self.byteCount
            padAndCompress()
        }
        writeDigest(into: output)
    }

    /// Finishes and returns the 32 bytes. Only `restart()` may follow.
    public func finalize() throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.byteCount)
        try ByteAccess.withMutable(&out) { (raw: UnsafeMutableRawBufferPointer) throws(CryptoError) in try finalize(into: raw) }
        return out
    }

    // MARK: Pieces SHA256Pair drives

    /// Tops the buffered tail up from the front of `bytes`, hashing it once it is a whole
    /// block; returns the bytes not taken. Afterwards the tail is empty or `bytes` was used up.
    func absorbIntoTail(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard tailCount > 0, bytes.count > 0 else { return bytes }
        let taken = min(Self.blockByteCount - tailCount, bytes.count)
        (tail + tailCount).copyMemory(from: bytes.baseAddress!, byteCount: taken)
        tailCount += taken
        messageByteCount += UInt64(taken)
        if tailCount == Self.blockByteCount {
            coffre_sha256_blocks(state, tail.assumingMemoryBound(to: UInt8.self), 1)
            tailCount = 0
        }
        return UnsafeRawBufferPointer(rebasing: bytes[taken...])
    }

    /// Counts `blocks` blocks that the caller hashed into `state` (alone or paired).
    func didCompress(blocks: Int) {
        messageByteCount += UInt64(blocks * Self.blockByteCount)
    }

    // MARK: Private

    private func compressInPlace(_ data: UnsafeRawPointer, blocks: Int) {
        coffre_sha256_blocks(state, data.assumingMemoryBound(to: UInt8.self), blocks)
        didCompress(blocks: blocks)
    }

    /// Buffers fewer than 64 bytes behind an empty tail.
    private func keepTail(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        precondition(tailCount == 0 && bytes.count < Self.blockByteCount, "tail kept behind a partial block")
        tail.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        tailCount = bytes.count
        messageByteCount += UInt64(bytes.count)
    }

    /// FIPS 180-4 section 5.1.1: a 1 bit, zeros up to 448 bits mod 512, then the message
    /// length in bits as a 64-bit big-endian integer; hashes the one or two final blocks.
    private func padAndCompress() {
        let bitCount = messageByteCount &* 8
        tail.storeBytes(of: 0x80 as UInt8, toByteOffset: tailCount, as: UInt8.self)
        tailCount += 1
        if tailCount > Self.blockByteCount - 8 {
            (tail + tailCount).initializeMemory(as: UInt8.self, repeating: 0, count: Self.blockByteCount - tailCount)
            coffre_sha256_blocks(state, tail.assumingMemoryBound(to: UInt8.self), 1)
            tailCount = 0
        }
        (tail + tailCount).initializeMemory(as: UInt8.self, repeating: 0, count: Self.blockByteCount - 8 - tailCount)
        tail.storeBytes(of: bitCount.bigEndian, toByteOffset: Self.blockByteCount - 8, as: UInt64.self)
        coffre_sha256_blocks(state, tail.assumingMemoryBound(to: UInt8.self), 1)
        tailCount = 0
    }

    /// FIPS 180-4 section 6.2.2: the digest is H0 ‖ ... ‖ H7, each word big-endian.
    private func writeDigest(into output: UnsafeMutableRawBufferPointer) {
        for word in 0..<8 {
            output.storeBytes(of: state[word].bigEndian, toByteOffset: 4 * word, as: UInt32.self)
        }
    }
}
