import CoffreProtocol
import HTTPServer

/// fsck: checks that the metadata and the blob files agree (DESIGN §1, principle 2).
///
/// - the database file: SQLite's `integrity_check` and `foreign_key_check`;
/// - the metadata: every referenced blob recorded, every entry's head its newest revision,
///   every live entry under a live folder, every blob's reference count right
///   (`SyncStore.checkConsistency`);
/// - every recorded blob: its file exists and has the recorded size, and (by default) its
///   bytes still hash to its id — re-read a 1 MiB buffer at a time on the blocking-work queue;
///   for a blob kept in the database (`blob_bytes`), the same checks on those bytes;
/// - every blob file: recorded by its vault, or reported as an orphan.
///
/// Damage (anything but orphans) makes the result `damaged`; orphans alone make it `orphans`,
/// which garbage collection reclaims.
struct StoreChecker: Sendable {
    let blobs: BlobLayer

    /// Blob rows checked per blocking call.
    static let pageSize = 256

    func run(verifyHashes: Bool) async throws -> FsckReport {
        var report = FsckReport(hashesVerified: verifyHashes)
        let limit = FsckReport.maximumListed
        report.databaseProblems = try await blobs.store.databaseProblems(limit: 100)
        let consistency = try await blobs.store.checkConsistency(limit: limit)
        report.danglingReferences = consistency.danglingReferences.map {
            VaultBlobReference(vaultId: $0.vaultId, blobId: $0.blob)
        }
        report.brokenHeads = Int64(consistency.brokenHeads.count)
        report.orphanEntries = Int64(consistency.orphans.count)
        if !consistency.miscountedBlobs.isEmpty {
            // A fixed text: the report's lists name blobs, this one only says how many.
            report.databaseProblems.append(
                "\(consistency.miscountedBlobs.count) blob reference counts disagree with the revisions naming them")
        }

        var cursor: GarbageCursor?
        repeat {
            let page = try await blobs.store.blobRecords(after: cursor, limit: Self.pageSize)
            let disk = blobs.disk
            let store = blobs.store
            let findings = try await HTTPBlockingWork.run {
                try page.records.map { record in
                    guard let inlineBytes = record.inlineBytes else {
                        return try Self.check(record.blob, on: disk, verifyHashes: verifyHashes)
                    }
                    return try Self.checkInline(record.blob, keeping: inlineBytes, in: store, verifyHashes: verifyHashes)
                }
            }
            for (blob, finding) in zip(page.records.map(\.blob), findings) {
                report.blobsChecked += 1
                report.bytesChecked += blob.size
                let reference = VaultBlobReference(vaultId: blob.vaultId, blobId: blob.blob, size: blob.size)
                switch finding {
                case .sound: break
                case .missing:
                    report.missingBlobCount += 1
                    if report.missingBlobs.count < limit { report.missingBlobs.append(reference) }
                case .wrongSize:
                    report.sizeMismatchCount += 1
                    if report.sizeMismatches.count < limit { report.sizeMismatches.append(reference) }
                case .wrongHash:
                    report.hashMismatchCount += 1
                    if report.hashMismatches.count < limit { report.hashMismatches.append(reference) }
                }
            }
            cursor = page.next
        } while cursor != nil

        let scan = OrphanBlobScan(disk: blobs.disk, store: blobs.store)
        var orphanFolders = Set<VaultID>()
        while let page = try await scan.next() {
            report.orphanFileCount += Int64(page.files.count)
            report.orphanFileBytes += page.files.reduce(0) { $0 + $1.size }
            for file in page.files.prefix(limit - report.orphanFiles.count) {
                report.orphanFiles.append(VaultBlobReference(vaultId: page.vault, blobId: file.id, size: file.size))
            }
            if !page.vaultExists { orphanFolders.insert(page.vault) }
        }
        report.orphanVaultFolders = Int64(orphanFolders.count)
        report.result = Self.verdict(report)
        return report
    }

    private enum Finding {
        case sound, missing, wrongSize, wrongHash
    }

    /// One recorded blob against its file.
    private static func check(_ blob: VaultBlob, on disk: DiskBlobStore, verifyHashes: Bool) throws(BlobStoreError) -> Finding {
        let namespace = try BlobLayer.namespace(blob.vaultId)
        guard let info = try disk.info(namespace: namespace, id: blob.blob) else { return .missing }
        guard info.size == blob.size else { return .wrongSize }
        guard verifyHashes else { return .sound }
        do {
            return try disk.verify(namespace: namespace, id: blob.blob) ? .sound : .wrongHash
        } catch .notFound {
            return .missing
        }
    }

    /// One recorded blob against the bytes the database keeps for it (`keeping` of them), read
    /// back only to verify the hash. Blocking: runs on the blocking-work queue.
    private static func checkInline(
        _ blob: VaultBlob, keeping length: Int64, in store: SyncStore, verifyHashes: Bool
    ) throws -> Finding {
        guard length == blob.size else { return .wrongSize }
        guard verifyHashes else { return .sound }
        // Deleted since the page was read (garbage collection): as for a file, missing.
        guard let bytes = try store.inlineBytesBlocking(of: blob.blob, in: blob.vaultId) else { return .missing }
        do throws(BlobStoreError) {
            try blob.blob.check(bytes)
            return .sound
        } catch .hashMismatch {
            return .wrongHash
        }
    }

    static func verdict(_ report: FsckReport) -> FsckResult {
        let damaged = report.missingBlobCount + report.sizeMismatchCount + report.hashMismatchCount
            + Int64(report.danglingReferences.count) + report.brokenHeads + report.orphanEntries
            + Int64(report.databaseProblems.count)
        if damaged > 0 { return .damaged }
        return report.orphanFileCount > 0 ? .orphans : .clean
    }
}
