import COpenSSL
import CSHA256x2

extension SHA256 {
    /// SHA-256 (FIPS 180-4) of `bytes` into `output` (exactly 32 bytes) without touching the
    /// heap, for short secrets hashed on hot paths (a bearer token on every request). Over the
    /// SHA-NI block function where the CPU has it (`SHA256Pair.isAvailable`), the state and the
    /// padded last blocks on the stack and wiped afterwards; elsewhere one `EVP_Digest` call.
    /// The same digest as `hash(_:)`.
    public static func hash(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        guard output.count == byteCount else {
            throw CryptoError.invalidLength(what: "SHA-256 output", expected: byteCount, actual: output.count)
        }
        guard SHA256Pair.isAvailable else {
            let digest = try FetchedAlgorithms.require(FetchedAlgorithms.shared.sha256, "SHA256")
            var length: UInt32 = 0
            let out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
            guard EVP_Digest(bytes.baseAddress, bytes.count, out, &length, digest, nil) == 1, length == UInt32(byteCount) else {
                throw CryptoError.fromQueue("EVP_Digest")
            }
            return
        }
        let blockBytes = SHA256Stream.blockByteCount
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 8) { state in
            withUnsafeTemporaryAllocation(byteCount: 2 * blockBytes, alignment: 16) { last in
                let words = state.baseAddress!
                SHA256Stream.initialState.withUnsafeBufferPointer { words.update(from: $0.baseAddress!, count: 8) }
                let whole = bytes.count / blockBytes
                if whole > 0 { coffre_sha256_blocks(words, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), whole) }
                // FIPS 180-4 §5.1.1: the rest, a 1 bit, zeros to 448 mod 512 bits, the bit length.
                let tail = bytes.count - whole * blockBytes
                last.initializeMemory(as: UInt8.self, repeating: 0)
                if tail > 0 { last.baseAddress!.copyMemory(from: bytes.baseAddress! + whole * blockBytes, byteCount: tail) }
                last[tail] = 0x80
                let blocks = tail < blockBytes - 8 ? 1 : 2
                last.storeBytes(of: (UInt64(bytes.count) &* 8).bigEndian, toByteOffset: blocks * blockBytes - 8, as: UInt64.self)
                coffre_sha256_blocks(words, last.baseAddress!.assumingMemoryBound(to: UInt8.self), blocks)
                // FIPS 180-4 §6.2.2 step 4: H0…H7, big-endian.
                for index in 0..<8 { output.storeBytes(of: words[index].bigEndian, toByteOffset: index * 4, as: UInt32.self) }
                OPENSSL_cleanse(last.baseAddress, last.count)
                OPENSSL_cleanse(words, 8 * MemoryLayout<UInt32>.size)
            }
        }
    }
}
