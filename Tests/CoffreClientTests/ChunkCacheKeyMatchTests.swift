@testable import CoffreClient
import CoffreCrypto
import CoffreProtocol
import Foundation
import SQLiteStore
import Testing

/// The chunk cache matches `(blob id, chunk key)`: a row recorded under one key is never a
/// copy source for a reference with another key, even under the same blob id and length (the
/// planted binding docs/threat-model.md, "Why a read need not hash the blob", rules out), and
/// rows written before migration 5 have no commitment and are never copied from.
@Suite struct ChunkCacheKeyMatchTests {
    static let id = [UInt8](repeating: 0xB1, count: 32)

    static func key(_ byte: UInt8) -> SecretBytes { SecretBytes(copying: [UInt8](repeating: byte, count: 32)) }

    static func reference(id: [UInt8] = id, key byte: UInt8, length: UInt32 = 4_096) throws -> ChunkReference {
        try ChunkReference(blobID: id, key: key(byte), length: length)
    }

    /// A synced file at `path` whose chunks are `chunks`, agreed at rev 1.
    static func file(_ path: String, chunks: [ChunkReference], inode: UInt64 = 40) -> SyncedEntry {
        let size = chunks.reduce(UInt64(0)) { $0 + UInt64($1.length) }
        return SyncedEntry(
            id: LocalPlanner.newEntryID(), parentID: .root, kind: .file, rev: 1, remoteDeleted: false,
            attributes: EntryAttributes(
                name: path, modificationTime: 1_000, mode: 0o644, size: size, symlinkTarget: nil,
                manifest: StoredManifest(.inline(chunks)), generation: 1),
            chunks: chunks, path: path,
            local: LocalIdentity(inode: inode, device: 1, size: Int64(size), modificationTime: 1_000, mode: 0o100644, changeTime: 77))
    }

    @Test func theCommitmentBindsTheKeyWithoutHoldingIt() throws {
        let a = try ChunkKeyCommitment(to: Self.key(1))
        #expect(a.bytes.count == 32)
        #expect(try ChunkKeyCommitment(to: Self.key(1)).bytes == a.bytes, "deterministic: a later lookup finds the row")
        #expect(try ChunkKeyCommitment(to: Self.key(2)).bytes != a.bytes)
        #expect(a.bytes != [UInt8](repeating: 1, count: 32), "not the key itself")
        #expect(a.bytes != (try SHA256.hash([UInt8](repeating: 1, count: 32))), "not a bare hash shared with other uses")
        #expect(a.matches(a.bytes))
        #expect(!a.matches(Array(a.bytes.dropLast())), "a shorter stored value is no match")
        #expect(!a.matches([]))
        var flipped = a.bytes
        flipped[31] ^= 0x80
        #expect(!a.matches(flipped))
    }

    @Test func aRowIsFoundOnlyByTheKeyItWasRecordedWith() async throws {
        let tree = try TemporaryTree()
        let (_, index) = try await SyncIndexTests.open(tree)
        let recorded = try Self.reference(key: 1)
        let entry = Self.file("planted.bin", chunks: [recorded])
        try await index.apply([.agreed(entry)])

        let same = try await index.localCopies(of: [recorded])
        #expect(try same.location(of: recorded)?.path == "planted.bin")
        #expect(try same.location(of: recorded)?.identity.changeTime == 77)

        // Same blob id and length, another key: the row is not a copy source.
        let honest = try Self.reference(key: 2)
        let other = try await index.localCopies(of: [honest])
        #expect(try other.location(of: honest) == nil)
        // Nor does an answer fetched for the recorded key serve the other one.
        #expect(try same.location(of: honest) == nil)
        // Uploads still learn the server holds the blob (by id alone: nothing is copied).
        #expect(try await index.knownBlobs([try #require(BlobID(bytes: Self.id))]).count == 1)
    }

    @Test func oneBlobIDUnderTwoKeysGivesEachItsOwnFile() async throws {
        let tree = try TemporaryTree()
        let (_, index) = try await SyncIndexTests.open(tree)
        let first = try Self.reference(key: 1)
        let second = try Self.reference(key: 2)
        try await index.apply([.agreed(Self.file("one.bin", chunks: [first], inode: 41)), .agreed(Self.file("two.bin", chunks: [second], inode: 42))])
        let copies = try await index.localCopies(of: [second, first, second])
        #expect(try copies.location(of: first)?.path == "one.bin")
        #expect(try copies.location(of: second)?.path == "two.bin")
        #expect(try copies.location(of: Self.reference(key: 3)) == nil)
    }

    @Test func forgettingAFileForgetsItsRows() async throws {
        let tree = try TemporaryTree()
        let (_, index) = try await SyncIndexTests.open(tree)
        let recorded = try Self.reference(key: 1)
        let entry = Self.file("gone.bin", chunks: [recorded])
        try await index.apply([.agreed(entry)])
        try await index.apply([.forgotten(entry.id)])
        #expect(try await index.localCopies(of: [recorded]).location(of: recorded) == nil)
    }

    /// An index written by schema 4 (chunk rows without commitments) opens under schema 5:
    /// its rows are kept for uploads' "the server holds it" but never copied from, until the
    /// file is agreed again and its rows carry commitments.
    @Test func rowsFromBeforeTheMigrationAreNeverCopiedFrom() async throws {
        let tree = try TemporaryTree()
        let folder = tree.absolute(ReservedNames.stateFolder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let old = try Self.reference(key: 1)
        let entry = Self.file("old.bin", chunks: [old])
        do {
            let db = try Connection(path: folder + "/" + SyncIndex.fileName)
            #expect(try Migrator(Array(SyncIndexSchema.migrations.prefix(4))).migrate(db) == [1, 2, 3, 4])
            try db.execute("INSERT INTO state (id, vault_id, cursor, highest_seq) VALUES (1, ?, 0, 0)", [SyncIndexTests.vault.bytes])
            try db.execute(SyncIndex.syncedInsert, SyncIndex.entryArguments(entry))
            try db.execute(
                "INSERT INTO chunks (blob_id, entry_id, offset, length) VALUES (?, ?, 0, ?)", [Self.id, entry.id.bytes, Int64(old.length)])
            try db.close()
        }
        let (_, index) = try await SyncIndexTests.open(tree)
        #expect(try await index.localCopies(of: [old]).location(of: old) == nil, "no commitment, no copy")
        #expect(try await index.knownBlobs([try #require(BlobID(bytes: Self.id))]).count == 1, "still known to be on the server")
        // Agreed again (a later pass), the file's rows are rewritten with their commitments.
        try await index.apply([.agreed(entry)])
        #expect(try await index.localCopies(of: [old]).location(of: old)?.path == "old.bin")
    }
}
