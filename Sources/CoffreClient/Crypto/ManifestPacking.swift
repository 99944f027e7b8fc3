import CoffreCrypto

/// Moves long chunk lists out of records (docs/format.md, "Indirect manifests"). A file with at
/// most 64 chunks lists them inline. A longer list is encoded as consecutive 68-byte
/// `ChunkReference`s, cut into pieces of at most 61,680 references (4,194,240 bytes), and each
/// piece is stored as a blob encrypted exactly like a chunk; the record lists those blobs.
public enum ManifestPacking {
    /// References per manifest blob: ⌊4 MiB / 68⌋.
    public static let referencesPerBlob = Int(ChunkCipher.maximumPlaintextByteCount) / ChunkReference.encodedByteCount

    /// The record manifest for `chunks`, and the manifest blobs to upload with it (none when inline).
    public static func pack(
        _ chunks: [ChunkReference], using cipher: ChunkCipher
    ) throws(CryptoFormatError) -> (manifest: EntryRecord.Manifest, blobs: [SealedChunk]) {
        if chunks.count <= EntryRecord.maximumInlineReferences { return (.inline(chunks), []) }
        let pieces = (chunks.count + referencesPerBlob - 1) / referencesPerBlob
        guard pieces <= EntryRecord.maximumInlineReferences else {
            throw .malformed(structure: "manifest", reason: "more than \(EntryRecord.maximumInlineReferences * referencesPerBlob) chunks")
        }
        var blobs: [SealedChunk] = []
        for piece in 0..<pieces {
            let slice = chunks[(piece * referencesPerBlob)..<min((piece + 1) * referencesPerBlob, chunks.count)]
            var writer = ByteWriter(capacity: slice.count * ChunkReference.encodedByteCount)
            for reference in slice { reference.write(to: &writer) }
            var encoded = writer.bytes
            defer { SecretBytes.wipe(&encoded) }
            blobs.append(try cipher.seal(encoded))
        }
        return (.indirect(blobs.map(\.reference)), blobs)
    }

    /// The chunk list of `record`: inline as is, or read from its manifest blobs, which
    /// `fetchBlob` returns by id. Checks that the lengths add up to the record's size.
    public static func chunks(
        of record: EntryRecord, using cipher: ChunkCipher, fetchBlob: ([UInt8]) throws(CryptoFormatError) -> [UInt8]
    ) throws(CryptoFormatError) -> [ChunkReference] {
        switch record.manifest {
        case .none: return []
        case .inline(let chunks): return chunks
        case .indirect(let blobs):
            var chunks: [ChunkReference] = []
            var total: UInt64 = 0
            for (index, blob) in blobs.enumerated() {
                var plaintext = try cipher.open(try fetchBlob(blob.blobID), reference: blob)
                defer { SecretBytes.wipe(&plaintext) }
                // Every piece but the last is full; the last is non-empty.
                let isLast = index == blobs.count - 1
                let count = plaintext.count / ChunkReference.encodedByteCount
                guard plaintext.count % ChunkReference.encodedByteCount == 0, count > 0,
                    isLast || count == referencesPerBlob
                else { throw .malformed(structure: "manifest blob", reason: "not a whole, full-sized list of references") }
                try ByteAccess.with(plaintext) { (raw: UnsafeRawBufferPointer) throws(CryptoFormatError) in
                    var reader = ByteReader(raw, structure: "manifest blob")
                    for _ in 0..<count {
                        let reference = try ChunkReference.read(from: &reader)
                        guard reference.length > 0 else { throw .recordInconsistent("empty chunk in manifest") }
                        total += UInt64(reference.length)
                        chunks.append(reference)
                    }
                }
            }
            guard chunks.count > EntryRecord.maximumInlineReferences else {
                throw .recordInconsistent("a short chunk list must be inline")
            }
            guard total == record.size else { throw .recordInconsistent("size differs from the sum of chunk lengths") }
            return chunks
        }
    }
}
