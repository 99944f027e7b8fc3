import CoffreCrypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Chunk sealing and opening inside a caller's reusable buffer, for the pipeline's hot path:
/// the same format and checks as `seal(_:)` and `open(_:reference:)` (docs/format.md,
/// "Chunks"), with no allocation of the blob or the plaintext and no copy — each pass (HMAC,
/// AES-GCM, SHA-256) reads the bytes where they lie.
extension ChunkCipher {
    /// Offset of the plaintext in a blob: version byte, then the u32be length header.
    static let plaintextOffset = 5

    /// Largest blob: a 4 MiB plaintext, framed, padded and sealed (4,325,393 bytes).
    static var maximumBlobByteCount: Int { blobByteCount(plaintextLength: Int(maximumPlaintextByteCount)) }

    /// The chunk key of the `length` plaintext bytes that lie at `plaintextOffset` in `buffer`:
    /// `HMAC(convergence, plaintext)`, hashed where they lie.
    func chunkKeyInPlace(_ buffer: UnsafeMutableRawBufferPointer, plaintextLength length: Int) throws(CryptoFormatError) -> [UInt8] {
        precondition(buffer.count >= Self.plaintextOffset + length, "chunk buffer smaller than the plaintext")
        return try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in
            let mac = try HMACSHA256(key: convergenceKey)
            try mac.update(UnsafeRawBufferPointer(rebasing: buffer[Self.plaintextOffset..<(Self.plaintextOffset + length)]))
            return try mac.finalize()
        }
    }

    /// Seals the `length` plaintext bytes that lie at `plaintextOffset` in `buffer`, in place:
    /// `buffer[0..<blobByteCount(plaintextLength: length)]` becomes the blob. Returns the
    /// chunk's reference (blob id, chunk key, length).
    func sealInPlace(_ buffer: UnsafeMutableRawBufferPointer, plaintextLength length: Int) throws(CryptoFormatError) -> ChunkReference {
        guard length <= Self.maximumPlaintextByteCount else {
            throw .malformed(structure: "chunk", reason: "plaintext above \(Self.maximumPlaintextByteCount) bytes")
        }
        let framedCount = Padme.paddedLength(4 + length)
        let total = 1 + framedCount + AES256GCM.tagByteCount
        precondition(buffer.count >= total, "chunk buffer smaller than the blob")
        let plaintextEnd = Self.plaintextOffset + length
        let (chunkKey, id) = try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in
            // chunkKey = HMAC(convergence, plaintext), hashed where the plaintext lies.
            let mac = try HMACSHA256(key: convergenceKey)
            try mac.update(UnsafeRawBufferPointer(rebasing: buffer[Self.plaintextOffset..<plaintextEnd]))
            var tag = try mac.finalize()
            defer { SecretBytes.wipe(&tag) }
            let chunkKey = SecretBytes(copying: tag)

            // framed = u32be(len) ‖ plaintext ‖ zeros up to Padmé(4 + len), behind the version byte.
            buffer[0] = Self.version
            withUnsafeBytes(of: UInt32(length).bigEndian) { header in
                UnsafeMutableRawBufferPointer(rebasing: buffer[1..<5]).copyMemory(from: header)
            }
            UnsafeMutableRawBufferPointer(rebasing: buffer[plaintextEnd..<(1 + framedCount)]).initializeMemory(as: UInt8.self, repeating: 0)

            // AES-256-GCM in place, nonce 12 zero bytes, aad "coffre/v1/chunk", tag after it.
            let framed = UnsafeMutableRawBufferPointer(rebasing: buffer[1..<(1 + framedCount)])
            let cipher = try AES256GCM(key: chunkKey)
            try ByteAccess.with(Self.associatedData) { (aad: UnsafeRawBufferPointer) throws(CryptoError) in
                try cipher.beginSealing(nonce: Self.nonce, aad: aad)
            }
            try cipher.update(UnsafeRawBufferPointer(framed), into: framed)
            try cipher.finishSealing(tag: UnsafeMutableRawBufferPointer(rebasing: buffer[(1 + framedCount)..<total]))

            // blobId = SHA-256(blob), hashed in place.
            let hasher = try SHA256()
            try hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<total]))
            return (chunkKey, try hasher.finalize())
        }
        return try ChunkReference(blobID: id, key: chunkKey, length: UInt32(length))
    }

    /// Checks and decrypts the blob in `blob` in place, in the order of `open(_:reference:)`:
    /// size bounds, blob id, version, GCM tag, framing, zero padding, expected length, key
    /// commitment. Returns where the plaintext lies in `blob`. On a failed tag the decrypted
    /// (unauthenticated) bytes are wiped before the error is thrown.
    func openInPlace(_ blob: UnsafeMutableRawBufferPointer, reference: ChunkReference) throws(CryptoFormatError) -> Range<Int> {
        guard blob.count >= Self.overhead + 4, blob.count <= Self.maximumBlobByteCount else {
            throw .malformed(structure: "chunk blob", reason: "size \(blob.count) outside \(Self.overhead + 4)...\(Self.maximumBlobByteCount)")
        }
        // The id is checked before anything is decrypted in place, while the bytes are as fetched.
        let id = try CryptoFormatError.wrapping("chunk blob") { () throws(CryptoError) in
            let hasher = try SHA256()
            try hasher.update(UnsafeRawBufferPointer(blob))
            return try hasher.finalize()
        }
        guard ConstantTime.equals(id, reference.blobID) else { throw .blobIDMismatch }
        guard blob[0] == Self.version else { throw .unsupportedVersion(structure: "chunk blob", version: blob[0]) }

        let framedCount = blob.count - Self.overhead
        let framed = UnsafeMutableRawBufferPointer(rebasing: blob[1..<(1 + framedCount)])
        let tag = UnsafeRawBufferPointer(rebasing: blob[(1 + framedCount)...])
        try CryptoFormatError.wrapping("chunk blob") { () throws(CryptoError) in
            let cipher = try AES256GCM(key: reference.key)
            try ByteAccess.with(Self.associatedData) { (aad: UnsafeRawBufferPointer) throws(CryptoError) in
                try cipher.beginOpening(nonce: Self.nonce, aad: aad)
            }
            do throws(CryptoError) {
                try cipher.update(UnsafeRawBufferPointer(framed), into: framed)
                try cipher.finishOpening(tag: tag)
            } catch {
                framed.initializeMemory(as: UInt8.self, repeating: 0)
                throw error
            }
        }

        // Authenticated from here on: the remaining checks catch a writer that holds the key.
        let claimed = framed.prefix(4).reduce(0) { $0 << 8 | Int($1) }
        guard claimed <= framedCount - 4, Padme.paddedLength(4 + claimed) == framedCount else {
            throw .invalidFraming("length header does not match the padded size")
        }
        guard Self.isAllZero(UnsafeRawBufferPointer(rebasing: framed[(4 + claimed)...])) else {
            throw .nonzeroPadding(structure: "chunk")
        }
        guard UInt32(claimed) == reference.length else {
            throw .chunkLengthMismatch(expected: reference.length, actual: UInt32(claimed))
        }
        let plaintext = Self.plaintextOffset..<(Self.plaintextOffset + claimed)
        let commitment = try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in
            let mac = try HMACSHA256(key: convergenceKey)
            try mac.update(UnsafeRawBufferPointer(rebasing: blob[plaintext]))
            return try mac.finalize()
        }
        guard ConstantTime.equals(commitment, reference.key) else { throw .keyCommitmentMismatch }
        return plaintext
    }

    /// True when every byte is zero: the first is zero and each equals the next (memcmp(3) of
    /// the buffer against itself shifted by one byte). The padding is authenticated and not
    /// secret, so an early exit leaks nothing.
    private static func isAllZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return true }
        return bytes[0] == 0 && memcmp(base, base + 1, bytes.count - 1) == 0
    }
}
