import CoffreCrypto

/// One manifest entry: where a chunk is (its blob id), how to decrypt it (its key) and how long
/// its plaintext is (docs/format.md, "Chunk reference": 68 bytes on the wire).
public struct ChunkReference: Sendable, Equatable {
    /// Bytes of an encoded reference: blobId(32) ‖ chunkKey(32) ‖ u32be(length).
    public static let encodedByteCount = 68

    /// SHA-256 of the blob.
    public let blobID: [UInt8]
    /// `HMAC(convergence, plaintext)`, the AES-256-GCM key of the blob.
    public let key: SecretBytes
    /// Plaintext length, 0...`ChunkCipher.maximumPlaintextByteCount`.
    public let length: UInt32

    /// A reference; lengths of id and key are checked.
    public init(blobID: [UInt8], key: SecretBytes, length: UInt32) throws(CryptoFormatError) {
        guard blobID.count == 32, key.count == 32 else {
            throw .malformed(structure: "chunk reference", reason: "blob id and key must be 32 bytes")
        }
        guard length <= ChunkCipher.maximumPlaintextByteCount else {
            throw .malformed(structure: "chunk reference", reason: "length above the chunk maximum")
        }
        self.blobID = blobID
        self.key = key
        self.length = length
    }

    func write(to writer: inout ByteWriter) {
        writer.raw(blobID)
        writer.raw(key)
        writer.u32(length)
    }

    static func read(from reader: inout ByteReader) throws(CryptoFormatError) -> ChunkReference {
        let id = Array(try reader.take(32))
        let key = SecretBytes(copying: try reader.take(32))
        return try ChunkReference(blobID: id, key: key, length: try reader.u32())
    }
}

/// An encrypted chunk ready to upload, and the reference that finds and opens it.
public struct SealedChunk: Sendable {
    /// `0x01 ‖ AES-256-GCM(...)`: what the server stores under `reference.blobID`.
    public let blob: [UInt8]
    /// Blob id, key and length for the manifest.
    public let reference: ChunkReference
}
