import COpenSSL
import CSHA256x2

/// The two chaining values HMAC-SHA256 starts from under one key (RFC 2104 section 2): the
/// SHA-256 state after the block `K ⊕ ipad` and after the block `K ⊕ opad`. Computed once per
/// key, so each `SHA256Stream` MAC starts without touching the key again. Wiped when released.
///
/// Exists only where `SHA256Pair.isAvailable`.
public final class HMACSHA256Pads {
    /// H0...H7 after `K ⊕ ipad`.
    let innerState: UnsafeMutablePointer<UInt32>
    /// H0...H7 after `K ⊕ opad`.
    let outerState: UnsafeMutablePointer<UInt32>

    /// The pads of `key` (any length). Throws `invalidParameter` on a CPU without the SHA
    /// extensions.
    public init(key: some RandomAccessCollection<UInt8>) throws(CryptoError) {
        try SHA256Pair.requireAvailable()
        let blockByteCount = SHA256Stream.blockByteCount
        // RFC 2104 section 2: a key longer than the block is hashed first; K is then padded
        // with zeros to the block size B = 64.
        var block = [UInt8](repeating: 0, count: blockByteCount)
        if key.count > blockByteCount {
            let stream = try SHA256Stream()
            ByteAccess.with(key) { stream.update($0) }
            try ByteAccess.withMutable(&block) { (raw: UnsafeMutableRawBufferPointer) throws(CryptoError) in
                try stream.finalize(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<SHA256Stream.byteCount]))
            }
        } else {
            block.replaceSubrange(0..<key.count, with: key)
        }
        innerState = Self.state(afterBlock: block, xoredWith: 0x36)
        outerState = Self.state(afterBlock: block, xoredWith: 0x5c)
        SecretBytes.wipe(&block)
    }

    deinit {
        OPENSSL_cleanse(innerState, 8 * MemoryLayout<UInt32>.size)
        OPENSSL_cleanse(outerState, 8 * MemoryLayout<UInt32>.size)
        innerState.deallocate()
        outerState.deallocate()
    }

    /// H(0) run over one block `key ⊕ pad` (RFC 2104 section 2: ipad = 0x36, opad = 0x5c).
    private static func state(afterBlock key: [UInt8], xoredWith pad: UInt8) -> UnsafeMutablePointer<UInt32> {
        let state = UnsafeMutablePointer<UInt32>.allocate(capacity: 8)
        SHA256Stream.initialState.withUnsafeBufferPointer { state.initialize(from: $0.baseAddress!, count: 8) }
        var padded = key.map { $0 ^ pad }
        coffre_sha256_blocks(state, padded, 1)
        SecretBytes.wipe(&padded)
        return state
    }
}
