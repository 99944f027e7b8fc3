import CoffreProtocol
import Foundation
import HTTPServer

/// Adds the user's vaults to their export (`GET /v1/account/export`), under
/// `vaults/<vault id>/`: `vault.json` (`VaultExport`), `entries-<n>.json` (the whole changes feed,
/// page by page) and `blobs/<blob id>`, each blob streamed from its file a piece at a time on
/// the blocking-work queue, never held whole (a small blob kept in the database is read whole).
struct VaultExportContributor: AccountExportContributor {
    let blobs: BlobLayer

    /// Bytes read from a blob file per blocking call.
    static let readBytes = 256 << 10
    /// Blob rows listed per query.
    static let blobPage = 1_000

    func contribute(userID: Int64, to archive: AccountExportArchive) async throws {
        let store = blobs.store
        for vault in try await store.vaults(user: userID).vaults {
            let folder = "vaults/\(vault.vaultId.hex)"
            let document = VaultExport(
                formatVersion: 1, vault: vault, members: try await store.members(vault.vaultId, user: userID),
                keys: try await store.vaultKeys(vault.vaultId, user: userID))
            try await archive.addFile(path: folder + "/vault.json", contents: try Self.json(document))
            var since: Int64 = 0
            var pageNumber = 0
            var more = true
            while more {
                let page = try await store.changes(vault.vaultId, user: userID, since: since, limit: store.limits.maxFeedPageEntries)
                guard !page.entries.isEmpty else { break }
                pageNumber += 1
                try await archive.addFile(path: "\(folder)/entries-\(pageNumber).json", contents: try Self.json(page))
                since = page.cursor
                more = page.hasMore
            }
            var after: BlobID?
            while true {
                let page = try await store.blobs(of: vault.vaultId, user: userID, after: after, limit: Self.blobPage)
                for blob in page { try await addBlob(blob.id, of: vault.vaultId, to: archive, folder: folder) }
                guard page.count == Self.blobPage, let last = page.last else { break }
                after = last.id
            }
        }
    }

    private func addBlob(_ id: BlobID, of vault: VaultID, to archive: AccountExportArchive, folder: String) async throws {
        let disk = blobs.disk
        let store = blobs.store
        // From either home: a small blob's bytes may be in the database (docs/storage-blobs.md).
        let reader = try await HTTPBlockingWork.run { try BlobLayer.openBlocking(id, in: vault, disk: disk, store: store) }
        try await archive.addFile(path: "\(folder)/blobs/\(id.hex)", size: reader.size) { write in
            var offset: Int64 = 0
            while offset < reader.size {
                let start = offset
                let piece = try await BlobLayer.blocking { () throws(BlobStoreError) in
                    try Self.read(reader, at: start, count: Int(min(Int64(Self.readBytes), reader.size - start)))
                }
                try await write(piece)
                offset += Int64(piece.count)
            }
        }
    }

    private static func read(_ reader: any BlobReader, at offset: Int64, count: Int) throws(BlobStoreError) -> [UInt8] {
        var failure: BlobStoreError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(BlobStoreError) {
                initialized = try reader.read(into: UnsafeMutableRawBufferPointer(buffer), at: offset)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        guard !bytes.isEmpty else { throw .sizeMismatch(expected: reader.size, actual: offset) }
        return bytes
    }

    private static func json(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }
}
