@testable import CoffreClient
import CoffreCrypto
import Testing

@Suite struct NameTagTests {
    @Test func tagsDependOnParentAndNormalizedName() throws {
        let tagger = NameTagger(nametagKey: try SecretBytes(randomCount: 32))
        let parent = try OpaqueID.random()
        let tag = try tagger.tag(name: "Caf\u{e9}.txt", parentID: parent)
        #expect(tag.count == 32)
        #expect(try tagger.tag(name: "Cafe\u{301}.txt", parentID: parent) == tag)
        #expect(try tagger.tag(name: "Cafe.txt", parentID: parent) != tag)
        #expect(try tagger.tag(name: "Caf\u{e9}.txt", parentID: .random()) != tag)
        #expect(try NameTagger(nametagKey: SecretBytes(randomCount: 32)).tag(name: "Caf\u{e9}.txt", parentID: parent) != tag)
        for bad in ["", ".", "..", "a/b", "a\u{0}b", String(repeating: "x", count: 1025)] {
            #expect(throws: CryptoFormatError.self) { try tagger.tag(name: bad, parentID: parent) }
        }
    }

    @Test func idsHaveSixteenBytes() {
        #expect(throws: CryptoFormatError.self) { try OpaqueID(bytes: [UInt8](repeating: 0, count: 15)) }
        #expect(throws: CryptoFormatError.self) { try OpaqueID(bytes: [UInt8](repeating: 0, count: 17)) }
        #expect((try? OpaqueID(bytes: [UInt8](repeating: 0xab, count: 16)))?.description == String(repeating: "ab", count: 16))
    }
}

@Suite struct PadmeTests {
    @Test func boundsAndIdempotence() {
        for length in Array(1...5000) + [65_539, 1 << 20, (1 << 20) + 1, (4 << 20) + 4] {
            let padded = Padme.paddedLength(length)
            #expect(padded >= length)
            #expect(Padme.paddedLength(padded) == padded)
            #expect(Double(padded - length) <= 0.12 * Double(length))
        }
    }
}

@Suite struct ManifestPackingTests {
    let cipher: ChunkCipher

    init() throws { cipher = ChunkCipher(convergenceKey: try SecretBytes(randomCount: 32)) }

    func references(_ count: Int) throws -> [ChunkReference] {
        try (0..<count).map { index in
            try ChunkReference(blobID: SecureRandom.bytes(count: 32), key: SecretBytes(randomCount: 32), length: UInt32(index + 1))
        }
    }

    func record(_ manifest: EntryRecord.Manifest, size: UInt64) -> EntryRecord {
        EntryRecord(kind: .file, name: "big.iso", modificationTime: 0, mode: 0o644, size: size, manifest: manifest)
    }

    @Test func shortListsStayInline() throws {
        let chunks = try references(64)
        let (manifest, blobs) = try ManifestPacking.pack(chunks, using: cipher)
        #expect(manifest == .inline(chunks) && blobs.isEmpty)
    }

    @Test func longListsGoToBlobsAndComeBack() throws {
        let chunks = try references(65)
        let size = UInt64(chunks.map { Int($0.length) }.reduce(0, +))
        let (manifest, blobs) = try ManifestPacking.pack(chunks, using: cipher)
        guard case .indirect(let pieces) = manifest else { Issue.record("expected an indirect manifest"); return }
        #expect(pieces.count == 1 && blobs.count == 1)
        #expect(blobs[0].reference.length == 65 * 68)
        let store = Dictionary(uniqueKeysWithValues: blobs.map { ($0.reference.blobID, $0.blob) })
        let fetch = { (id: [UInt8]) throws(CryptoFormatError) -> [UInt8] in
            guard let blob = store[id] else { throw .blobIDMismatch }
            return blob
        }
        let entry = record(manifest, size: size)
        #expect(try ManifestPacking.chunks(of: entry, using: cipher, fetchBlob: fetch) == chunks)
        // The record round-trips through encryption with the indirect form.
        let records = RecordCipher(metaKey: try SecretBytes(randomCount: 32), vaultID: try .random())
        let ids = (try OpaqueID.random(), try OpaqueID.random())
        #expect(try records.open(records.seal(entry, entryID: ids.0, parentID: ids.1), entryID: ids.0, parentID: ids.1, kind: .file) == entry)
        // Size disagreeing with the list, or a server handing back another blob, is detected.
        #expect(throws: CryptoFormatError.recordInconsistent("size differs from the sum of chunk lengths")) {
            try ManifestPacking.chunks(of: record(manifest, size: size + 1), using: cipher, fetchBlob: fetch)
        }
        let other = try cipher.seal(Array("not a manifest".utf8))
        #expect(throws: CryptoFormatError.blobIDMismatch) {
            try ManifestPacking.chunks(of: entry, using: cipher) { (_: [UInt8]) throws(CryptoFormatError) in other.blob }
        }
    }

    @Test func malformedManifestBlobsAreRefused() throws {
        // A manifest blob holding a partial reference, or a short list that should have been inline.
        for plaintext in [[UInt8](repeating: 1, count: 67), [UInt8](repeating: 1, count: 68 * 3)] {
            let blob = try cipher.seal(plaintext)
            let entry = record(.indirect([blob.reference]), size: 0)
            #expect(throws: CryptoFormatError.self) {
                try ManifestPacking.chunks(of: entry, using: cipher) { (_: [UInt8]) throws(CryptoFormatError) in blob.blob }
            }
        }
    }
}
