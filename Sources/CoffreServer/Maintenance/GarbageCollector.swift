import CoffreProtocol
import Foundation
import HTTPServer

/// Garbage collection (DESIGN §7): deletes the blobs no retained revision references that were
/// last uploaded longer ago than the grace period, and the blob files nothing records.
///
/// 1. **Recorded blobs.** The rows are scanned a thousand at a time (`garbageCandidates`); each
///    batch is deleted by `BlobLayer.collect`, which holds the blobs' locks, deletes the rows
///    that are *still* candidates in one transaction (a blob referenced or uploaded again since
///    the scan stays), then their files. A blob uploaded again after that finds no file and is
///    stored afresh: never a row without its file.
/// 2. **Unrecorded files** (`OrphanBlobScan`), older than the grace period: each is deleted
///    under its lock after checking once more that no row records it.
///
/// A dry run does the scans and deletes nothing. The grace period protects uploads whose commit
/// has not landed: the blob layer records a blob before any commit may reference it.
struct GarbageCollector: Sendable {
    let blobs: BlobLayer
    let graceSeconds: Int64
    let clock: ServerClock

    /// Collects (or, with `dryRun`, only counts) what is garbage now.
    func run(dryRun: Bool) async throws -> GarbageCollectionReport {
        var report = GarbageCollectionReport(dryRun: dryRun, graceSeconds: graceSeconds)
        var cursor: GarbageCursor?
        repeat {
            let page = try await blobs.store.garbageCandidates(graceSeconds: graceSeconds, after: cursor)
            let gone = dryRun ? page.candidates : try await blobs.collect(page.candidates, graceSeconds: graceSeconds)
            report.blobs += Int64(gone.count)
            report.blobBytes += gone.reduce(0) { $0 + $1.size }
            for blob in gone.prefix(GarbageCollectionReport.maximumListed - report.listedBlobs.count) {
                report.listedBlobs.append(VaultBlobReference(vaultId: blob.vaultId, blobId: blob.blob, size: blob.size))
            }
            cursor = page.next
        } while cursor != nil
        try await collectOrphans(into: &report)
        return report
    }

    private func collectOrphans(into report: inout GarbageCollectionReport) async throws {
        let cutoff = Date(timeIntervalSince1970: Double(clock.now() - graceSeconds))
        let scan = OrphanBlobScan(disk: blobs.disk, store: blobs.store)
        var deletedFolders = Set<VaultID>()
        while let page = try await scan.next() {
            let old = page.files.filter { $0.created < cutoff }
            guard !old.isEmpty else { continue }
            let gone = report.dryRun ? old : try await deleteOrphans(old, in: page.vault)
            report.orphanFiles += Int64(gone.count)
            report.orphanFileBytes += gone.reduce(0) { $0 + $1.size }
            if !page.vaultExists && !gone.isEmpty { deletedFolders.insert(page.vault) }
        }
        report.orphanVaultFolders = Int64(deletedFolders.count)
    }

    /// Deletes the files among `files` that still have no row, each under its lock. The empty
    /// folders stay (as after any blob deletion, docs/storage-blobs.md, "Deletes").
    private func deleteOrphans(_ files: [BlobInfo], in vault: VaultID) async throws -> [BlobInfo] {
        let keys = files.map { BlobLocks.Key(vault: vault, blob: $0.id) }
        return try await blobs.locks.withLocks(keys) {
            let recorded = try await blobs.store.recordedBlobs(in: vault, among: files.map(\.id))
            let doomed = files.filter { !recorded.contains($0.id) }
            defer { blobs.smallBlobs.forget(doomed.map(\.id), in: vault) }
            let disk = blobs.disk
            return try await BlobLayer.blocking { () throws(BlobStoreError) in
                let namespace = try BlobLayer.namespace(vault)
                var deleted: [BlobInfo] = []
                for file in doomed where try disk.delete(namespace: namespace, id: file.id) { deleted.append(file) }
                return deleted
            }
        }
    }
}
