import COpenSSL

/// Bytes from OpenSSL's CSPRNG (`RAND_bytes(3)`), which seeds itself from the OS.
public enum SecureRandom {
    /// Returns `count` random bytes.
    public static func bytes(count: Int) throws(CryptoError) -> [UInt8] {
        precondition(count >= 0, "random byte count must not be negative")
        var failure: CryptoError?
        let out = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(CryptoError) {
                try fill(UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
                buffer.initialize(repeating: 0)
            }
            initialized = count
        }
        if let failure { throw failure }
        return out
    }

    /// Fills `buffer` with random bytes.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        var offset = 0
        // RAND_bytes takes an int count: fill large buffers in pieces.
        while offset < buffer.count {
            let piece = min(buffer.count - offset, Int(Int32.max))
            let start = buffer.baseAddress!.advanced(by: offset).assumingMemoryBound(to: UInt8.self)
            guard RAND_bytes(start, Int32(piece)) == 1 else { throw CryptoError.fromQueue("RAND_bytes") }
            offset += piece
        }
    }
}
