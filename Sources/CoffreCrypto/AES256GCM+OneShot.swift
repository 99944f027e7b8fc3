/// One-shot sealing and opening over whole buffers.
extension AES256GCM {
    /// Encrypts `plaintext` into `output`, which must be `plaintext.count + 16` bytes: ciphertext
    /// then tag. `output` may start at the same address as `plaintext` (in-place).
    public func seal(
        _ plaintext: UnsafeRawBufferPointer, nonce: some RandomAccessCollection<UInt8>, aad: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) throws(CryptoError) {
        guard output.count == plaintext.count + Self.tagByteCount else {
            throw CryptoError.invalidLength(what: "AES-GCM sealed output", expected: plaintext.count + Self.tagByteCount, actual: output.count)
        }
        try beginSealing(nonce: nonce, aad: aad)
        try update(plaintext, into: UnsafeMutableRawBufferPointer(rebasing: output[0..<plaintext.count]))
        try finishSealing(tag: UnsafeMutableRawBufferPointer(rebasing: output[plaintext.count...]))
    }

    /// Decrypts `sealed` (ciphertext then 16-byte tag) into `output` (`sealed.count - 16` bytes;
    /// may be the same memory). On a failed tag check `output` is zeroed and
    /// `CryptoError.authenticationFailed` is thrown.
    public func open(
        _ sealed: UnsafeRawBufferPointer, nonce: some RandomAccessCollection<UInt8>, aad: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) throws(CryptoError) {
        guard sealed.count >= Self.tagByteCount else {
            throw CryptoError.invalidLength(what: "AES-GCM sealed input (at least the tag)", expected: Self.tagByteCount, actual: sealed.count)
        }
        let bodyCount = sealed.count - Self.tagByteCount
        guard output.count == bodyCount else {
            throw CryptoError.invalidLength(what: "AES-GCM opened output", expected: bodyCount, actual: output.count)
        }
        // The tag is read before the body is decrypted, in case output overwrites sealed in place.
        var tag = [UInt8](repeating: 0, count: Self.tagByteCount)
        ByteAccess.withMutable(&tag) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: sealed[bodyCount...])) }
        do throws(CryptoError) {
            try beginOpening(nonce: nonce, aad: aad)
            try update(UnsafeRawBufferPointer(rebasing: sealed[0..<bodyCount]), into: output)
            try ByteAccess.with(tag) { (t: UnsafeRawBufferPointer) throws(CryptoError) in try finishOpening(tag: t) }
        } catch {
            if output.count > 0 { output.initializeMemory(as: UInt8.self, repeating: 0) }
            throw error
        }
    }

    /// Encrypts `plaintext` under `key` and returns ciphertext ‖ tag.
    public static func seal(
        _ plaintext: some RandomAccessCollection<UInt8>, key: some RandomAccessCollection<UInt8>,
        nonce: some RandomAccessCollection<UInt8>, aad: some RandomAccessCollection<UInt8> = [UInt8]()
    ) throws(CryptoError) -> [UInt8] {
        let cipher = try AES256GCM(key: key)
        var out = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        try ByteAccess.with(plaintext) { (p: UnsafeRawBufferPointer) throws(CryptoError) in
            try ByteAccess.with(aad) { (a: UnsafeRawBufferPointer) throws(CryptoError) in
                try ByteAccess.withMutable(&out) { (o: UnsafeMutableRawBufferPointer) throws(CryptoError) in
                    try cipher.seal(p, nonce: nonce, aad: a, into: o)
                }
            }
        }
        return out
    }

    /// Checks and decrypts ciphertext ‖ tag under `key`; throws `CryptoError.authenticationFailed`
    /// when anything was altered.
    public static func open(
        _ sealed: some RandomAccessCollection<UInt8>, key: some RandomAccessCollection<UInt8>,
        nonce: some RandomAccessCollection<UInt8>, aad: some RandomAccessCollection<UInt8> = [UInt8]()
    ) throws(CryptoError) -> [UInt8] {
        let cipher = try AES256GCM(key: key)
        guard sealed.count >= tagByteCount else {
            throw CryptoError.invalidLength(what: "AES-GCM sealed input (at least the tag)", expected: tagByteCount, actual: sealed.count)
        }
        var out = [UInt8](repeating: 0, count: sealed.count - tagByteCount)
        try ByteAccess.with(sealed) { (s: UnsafeRawBufferPointer) throws(CryptoError) in
            try ByteAccess.with(aad) { (a: UnsafeRawBufferPointer) throws(CryptoError) in
                try ByteAccess.withMutable(&out) { (o: UnsafeMutableRawBufferPointer) throws(CryptoError) in
                    try cipher.open(s, nonce: nonce, aad: a, into: o)
                }
            }
        }
        return out
    }
}
