import CoffreCrypto
import CoffreProtocol
import Foundation
import Glibc
import HTTPServer
import SQLiteStore

/// A consistent online backup of the running server (DESIGN §9) into a directory that
/// `coffred --data` starts from:
///
/// 1. `coffred.db`: SQLite's online backup API copies the database while commits go on
///    (`DatabaseQueue.backup`, https://sqlite.org/backup.html); the copy is one snapshot.
/// 2. `blobs/`: every blob that snapshot records, hard-linked or copied (`BackupBlobCopier`).
///    Blobs before metadata holds for the live store, so each recorded blob has its file;
///    garbage collection, the only other remover of blobs, waits (`MaintenanceGate`). A blob
///    whose vault is deleted during the backup fails it (`not_found`): run it again.
/// 3. `backup-manifest.json`, last and atomically: a directory without it is incomplete.
///
/// The admin token file is not copied: the admin tokens' hashes are in the database, so the
/// tokens in use keep working against the restored copy.
struct BackupWriter: Sendable {
    let blobs: BlobLayer
    let database: ServerDatabase
    let dataDirectory: String
    let clock: ServerClock

    /// Blob rows linked or copied per blocking call.
    static let pageSize = 1_000

    func run(destination text: String) async throws -> BackupReport {
        let destination = try BackupDestination.prepare(text, dataDirectory: dataDirectory)
        let createdAt = clock.now()
        let databasePath = destination.path + "/" + ServerDatabase.fileName
        try await database.queue.backup(to: databasePath)
        let copier = try BackupBlobCopier(source: blobs.disk.blobsDirectory, destinationPath: destination.path + "/blobs")
        // The blobs to copy are those the copy records, read from the copy itself (read-only,
        // it stays byte for byte what the backup API wrote).
        let (count, bytes) = try await HTTPBlockingWork.run {
            let snapshot = try Connection(path: databasePath, options: Connection.Options(access: .readOnly))
            defer { try? snapshot.close() }
            var count: Int64 = 0
            var bytes: Int64 = 0
            var cursor: GarbageCursor?
            repeat {
                let page = try SyncStore.blobRecords(snapshot, after: cursor, limit: Self.pageSize)
                // Blobs kept in the database are in the copy already: only files are linked.
                try copier.add(page.records.filter { $0.inlineBytes == nil }.map(\.blob))
                count += Int64(page.records.count)
                bytes += page.records.reduce(0) { $0 + $1.blob.size }
                cursor = page.next
            } while cursor != nil
            try copier.finish()
            return (count, bytes)
        }
        let digest = try await HTTPBlockingWork.run { try Self.fileDigest(databasePath) }
        let manifest = BackupManifest(
            formatVersion: 1, createdAt: createdAt, coffredVersion: CoffreVersion.current, databaseFile: ServerDatabase.fileName,
            databaseBytes: digest.size, databaseSHA256: digest.hex, blobs: count, blobBytes: bytes)
        try await HTTPBlockingWork.run { try Self.writeManifest(manifest, in: destination.path) }
        return BackupReport(
            destination: destination.path, databaseBytes: digest.size, blobs: count, blobBytes: bytes,
            hardLinkedBlobs: copier.counts.linked, createdAt: createdAt)
    }

    /// Size and SHA-256 of a file, read 1 MiB at a time.
    static func fileDigest(_ path: String) throws -> (size: Int64, hex: String) {
        let file = try FileDescriptor.open(path, relativeTo: nil, flags: O_RDONLY | O_NOFOLLOW, operation: "open the database copy")
        let hasher = try SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var size: Int64 = 0
        while true {
            let count = try file.read(into: buffer, at: size, operation: "read the database copy")
            if count == 0 { break }
            try hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            size += Int64(count)
        }
        try file.sync(operation: "fsync the database copy")
        return (size, try hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    /// Writes the manifest to a temp name, fsyncs it, renames it into place and fsyncs the
    /// directory: it appears whole or not at all, and only after everything else is durable.
    static func writeManifest(_ manifest: BackupManifest, in directoryPath: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let bytes = Array(try encoder.encode(manifest))
        guard let directory = try FileDescriptor.openIfPresent(
            directoryPath, relativeTo: nil, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW, operation: "open the backup directory")
        else { throw BlobStoreError.io(operation: "open the backup directory", detail: "missing") }
        let temporary = BackupManifest.fileName + ".tmp"
        let file = try FileDescriptor.open(
            temporary, relativeTo: directory, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600,
            operation: "create the backup manifest")
        try bytes.withUnsafeBytes { try file.writeAll($0, operation: "write the backup manifest") }
        try file.sync(operation: "fsync the backup manifest")
        guard try directory.rename(temporary, to: BackupManifest.fileName, in: directory, operation: "publish the backup manifest")
        else { throw BlobStoreError.io(operation: "publish the backup manifest", detail: "vanished") }
        try directory.sync(operation: "fsync the backup directory")
    }
}
