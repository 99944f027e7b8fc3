@testable import CoffreClient
import CoffreCrypto
import Testing

@Suite struct RecordCipherTests {
    let vault: OpaqueID, entry: OpaqueID, parent: OpaqueID
    let meta: SecretBytes
    let cipher: RecordCipher
    let chunks: ChunkCipher

    init() throws {
        vault = try .random()
        entry = try .random()
        parent = try .random()
        meta = try SecretBytes(randomCount: 32)
        cipher = RecordCipher(metaKey: meta, vaultID: vault)
        chunks = ChunkCipher(convergenceKey: try SecretBytes(randomCount: 32))
    }

    func file(_ contents: [[UInt8]], name: String = "report.pdf") throws -> EntryRecord {
        let references = try contents.map { try chunks.seal($0).reference }
        return EntryRecord(kind: .file, name: name, modificationTime: 1_700_000_000_000_000_001, mode: 0o600,
                           size: UInt64(contents.map(\.count).reduce(0, +)), manifest: .inline(references))
    }

    @Test func roundTripsEveryKind() throws {
        let records = [
            try file([Array("abc".utf8), Array("defg".utf8)]),
            try file([], name: "empty"),
            EntryRecord(kind: .folder, name: "Photos", modificationTime: -1, mode: 0o755, size: 0),
            EntryRecord(kind: .symlink, name: "link", modificationTime: 0, mode: 0o777, size: 0, symlinkTarget: "Photos/a.jpg"),
        ]
        for record in records {
            let sealed = try cipher.seal(record, entryID: entry, parentID: parent)
            #expect((sealed.count - 29) % 256 == 0)
            #expect(try cipher.open(sealed, entryID: entry, parentID: parent, kind: record.kind) == record)
        }
    }

    /// One session seals and opens many records under one key schedule: each record its own
    /// nonce, and a record that fails its tag (altered, or another entry's) leaves the session
    /// able to open the next one.
    @Test func aSessionServesManyRecordsAndSurvivesAFailedOne() throws {
        let session = try cipher.session()
        let folder = EntryRecord(kind: .folder, name: "Photos", modificationTime: 5, mode: 0o755, size: 0)
        let first = try session.seal(folder, entryID: entry, parentID: parent)
        let second = try session.seal(folder, entryID: entry, parentID: parent)
        #expect(first[1..<13] != second[1..<13], "a fresh nonce per record")
        var altered = first
        altered[20] ^= 1
        #expect(throws: CryptoFormatError.authenticationFailed(structure: "entry record")) {
            try session.open(altered, entryID: entry, parentID: parent, kind: .folder)
        }
        #expect(throws: CryptoFormatError.authenticationFailed(structure: "entry record")) {
            try session.open(first, entryID: try OpaqueID.random(), parentID: parent, kind: .folder)
        }
        #expect(try session.open(second, entryID: entry, parentID: parent, kind: .folder) == folder)
        #expect(try cipher.open(first, entryID: entry, parentID: parent, kind: .folder) == folder)
    }

    @Test func namesAreStoredInNFC() throws {
        let record = EntryRecord(kind: .folder, name: "Cafe\u{301}", modificationTime: 0, mode: 0o755, size: 0)
        let opened = try cipher.open(try cipher.seal(record, entryID: entry, parentID: parent), entryID: entry, parentID: parent, kind: .folder)
        #expect(Array(opened.name.utf8) == Array("Caf\u{e9}".utf8))
    }

    @Test func movedSwappedOrRekindedRecordsFail() throws {
        let record = try file([Array("x".utf8)])
        let sealed = try cipher.seal(record, entryID: entry, parentID: parent)
        let failure = CryptoFormatError.authenticationFailed(structure: "entry record")
        #expect(throws: failure) { try cipher.open(sealed, entryID: .random(), parentID: parent, kind: .file) }
        #expect(throws: failure) { try cipher.open(sealed, entryID: entry, parentID: .random(), kind: .file) }
        #expect(throws: failure) { try cipher.open(sealed, entryID: parent, parentID: entry, kind: .file) }
        #expect(throws: failure) { try cipher.open(sealed, entryID: entry, parentID: parent, kind: .folder) }
        #expect(throws: failure) {
            try RecordCipher(metaKey: meta, vaultID: .random()).open(sealed, entryID: entry, parentID: parent, kind: .file)
        }
        // Another vault's (or generation's) meta key.
        #expect(throws: failure) {
            try RecordCipher(metaKey: SecretBytes(randomCount: 32), vaultID: vault).open(sealed, entryID: entry, parentID: parent, kind: .file)
        }
        // Two entries' records swapped by the server.
        let other = try .random() as OpaqueID
        let sealedOther = try cipher.seal(try file([Array("y".utf8)], name: "other"), entryID: other, parentID: parent)
        #expect(throws: failure) { try cipher.open(sealedOther, entryID: entry, parentID: parent, kind: .file) }
    }

    @Test func everyFlippedBitAndTruncationIsDetected() throws {
        let sealed = try cipher.seal(try file([Array("content".utf8)]), entryID: entry, parentID: parent)
        for index in sealed.indices {
            var tampered = sealed
            tampered[index] ^= 1 << UInt8(index % 8)
            let expected: CryptoFormatError = index == 0
                ? .unsupportedVersion(structure: "entry record", version: tampered[0])
                : .authenticationFailed(structure: "entry record")
            #expect(throws: expected) { try cipher.open(tampered, entryID: entry, parentID: parent, kind: .file) }
        }
        for cut in [1, 16, 256, sealed.count] {
            #expect(throws: CryptoFormatError.self) { try cipher.open(Array(sealed.dropLast(cut)), entryID: entry, parentID: parent, kind: .file) }
        }
        #expect(throws: CryptoFormatError.self) { try cipher.open(sealed + [UInt8](repeating: 0, count: 256), entryID: entry, parentID: parent, kind: .file) }
    }

    @Test func invalidRecordsAreNotWritten() throws {
        let bad = [
            EntryRecord(kind: .folder, name: "", modificationTime: 0, mode: 0, size: 0),
            EntryRecord(kind: .folder, name: "a/b", modificationTime: 0, mode: 0, size: 0),
            EntryRecord(kind: .folder, name: "..", modificationTime: 0, mode: 0, size: 0),
            EntryRecord(kind: .folder, name: "nul\u{0}", modificationTime: 0, mode: 0, size: 0),
            EntryRecord(kind: .folder, name: String(repeating: "n", count: 1025), modificationTime: 0, mode: 0, size: 0),
            EntryRecord(kind: .folder, name: "f", modificationTime: 0, mode: 0o10000, size: 0),
            EntryRecord(kind: .folder, name: "f", modificationTime: 0, mode: 0, size: 1),
            EntryRecord(kind: .symlink, name: "l", modificationTime: 0, mode: 0, size: 0),
            EntryRecord(kind: .symlink, name: "l", modificationTime: 0, mode: 0, size: 0, symlinkTarget: String(repeating: "t", count: 4097)),
            EntryRecord(kind: .file, name: "f", modificationTime: 0, mode: 0, size: 0),
            EntryRecord(kind: .file, name: "f", modificationTime: 0, mode: 0, size: 2, manifest: .inline([])),
            EntryRecord(kind: .file, name: "f", modificationTime: 0, mode: 0, size: 0, symlinkTarget: "x", manifest: .inline([])),
        ]
        for record in bad {
            #expect(throws: CryptoFormatError.self) { try cipher.seal(record, entryID: entry, parentID: parent) }
        }
    }

    /// Seals hand-made plaintext with the right key and AAD, as a malicious vault member could.
    func openCrafted(_ plaintext: [UInt8], kind: EntryRecord.Kind = .folder) throws -> EntryRecord {
        let nonce = [UInt8](repeating: 7, count: 12)
        let sealed = try AES256GCM.seal(plaintext, key: meta, nonce: nonce, aad: cipher.associatedData(entryID: entry, parentID: parent, kind: kind))
        return try cipher.open([1] + nonce + sealed, entryID: entry, parentID: parent, kind: kind)
    }

    static func padded(_ bytes: [UInt8]) -> [UInt8] { bytes + [UInt8](repeating: 0, count: (256 - bytes.count % 256) % 256) }

    /// A folder record "f" with fields that can be overridden.
    static func folder(format: UInt8 = 1, kind: UInt8 = 2, name: [UInt8] = [0x66], nameLength: UInt16? = nil,
                       mode: [UInt8] = [0, 0, 1, 0xed], size: UInt64 = 0, form: UInt8 = 0, count: UInt16 = 0) -> [UInt8] {
        let length = nameLength ?? UInt16(name.count)
        var bytes: [UInt8] = [format, kind, UInt8(length >> 8), UInt8(length & 0xff)] + name
        bytes += [UInt8](repeating: 0, count: 8) + mode + (0..<8).map { UInt8(truncatingIfNeeded: size >> (56 - 8 * UInt64($0))) }
        bytes += [0, 0, form, UInt8(count >> 8), UInt8(count & 0xff)]
        return padded(bytes)
    }

    @Test func hostileAuthenticatedPlaintextIsRejected() throws {
        #expect(try openCrafted(Self.folder()).name == "f")
        #expect(throws: CryptoFormatError.unsupportedVersion(structure: "entry record", version: 2)) { try openCrafted(Self.folder(format: 2)) }
        #expect(throws: CryptoFormatError.malformed(structure: "entry record", reason: "unknown kind")) { try openCrafted(Self.folder(kind: 9)) }
        #expect(throws: CryptoFormatError.recordInconsistent("kind differs from the entry's kind")) { try openCrafted(Self.folder(kind: 1)) }
        #expect(throws: CryptoFormatError.self) { try openCrafted(Self.folder(nameLength: 300)) }  // runs past the end
        #expect(throws: CryptoFormatError.self) { try openCrafted(Self.folder(nameLength: 2000)) }  // above the limit
        #expect(throws: CryptoFormatError.invalidName("contains '/' or NUL")) { try openCrafted(Self.folder(name: Array("a/b".utf8))) }
        #expect(throws: CryptoFormatError.invalidName("'.' and '..' are reserved")) { try openCrafted(Self.folder(name: Array("..".utf8))) }
        #expect(throws: CryptoFormatError.invalidName("not in Unicode NFC")) { try openCrafted(Self.folder(name: Array("e\u{301}".utf8))) }
        #expect(throws: CryptoFormatError.invalidName("not UTF-8")) { try openCrafted(Self.folder(name: [0xff, 0xfe])) }
        #expect(throws: CryptoFormatError.recordInconsistent("mode has bits above 0o7777")) { try openCrafted(Self.folder(mode: [0xff, 0, 0, 0])) }
        #expect(throws: CryptoFormatError.recordInconsistent("only files have a size and chunks")) { try openCrafted(Self.folder(size: 5)) }
        #expect(throws: CryptoFormatError.malformed(structure: "entry record", reason: "unknown manifest form 7")) { try openCrafted(Self.folder(form: 7)) }
        #expect(throws: CryptoFormatError.malformed(structure: "entry record", reason: "too many references")) { try openCrafted(Self.folder(count: 65)) }
        #expect(throws: CryptoFormatError.self) { try openCrafted(Self.folder(count: 64)) }  // references run past the end
        var dirtyPadding = Self.folder()
        dirtyPadding[255] = 1
        #expect(throws: CryptoFormatError.nonzeroPadding(structure: "entry record")) { try openCrafted(dirtyPadding) }
        #expect(throws: CryptoFormatError.self) { try openCrafted(Array(Self.folder().dropLast())) }  // not a bucket multiple
        // A file whose size disagrees with its chunks.
        let reference = try chunks.seal(Array("abc".utf8)).reference
        var writer = ByteWriter()
        reference.write(to: &writer)
        let fileBytes = Self.folder(kind: 1, size: 4, form: 1, count: 1)
        let header = Array(fileBytes.prefix(4 + 1 + 8 + 4 + 8 + 2 + 3))
        #expect(throws: CryptoFormatError.recordInconsistent("size differs from the sum of chunk lengths")) {
            try openCrafted(Self.padded(header + writer.bytes), kind: .file)
        }
    }
}
