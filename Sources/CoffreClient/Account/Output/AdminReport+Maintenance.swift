import CoffreProtocol

/// The text of `coffre-admin gc`, `fsck`, `backup` and the storage part of `stats`.
extension AdminReport {
    /// The `sync` section of `stats`.
    public static func storage(_ storage: StorageStatistics) -> String {
        let total = storage.total
        return AccountReport.fields([
            ("vaults", String(storage.vaults)),
            ("entries", "\(total.liveEntries) live, \(total.deletedEntries) in the trash"),
            ("revisions", String(total.revisions)),
            ("blobs", "\(total.blobs), \(DisplayFormat.bytes(total.physicalBytes)) on disk"),
            ("files reference", DisplayFormat.bytes(total.logicalBytes)),
            ("dedup ratio", total.dedupRatio.map { String(format: "%.2f", $0) } ?? "-"),
            ("long polls waiting", String(storage.longPollWaiters)),
        ])
    }

    /// `gc [--dry-run]`.
    public static func garbage(_ report: GarbageCollectionReport) -> String {
        let verb = report.dryRun ? "would delete" : "deleted"
        var text = AccountReport.fields([
            ("unreferenced blobs", "\(verb) \(report.blobs) (\(DisplayFormat.bytes(report.blobBytes)))"),
            ("unrecorded files", "\(verb) \(report.orphanFiles) (\(DisplayFormat.bytes(report.orphanFileBytes)))"),
            ("folders of deleted vaults", String(report.orphanVaultFolders)),
            ("grace period", DisplayFormat.duration(seconds: report.graceSeconds)),
        ])
        if report.dryRun && !report.listedBlobs.isEmpty {
            var table = TextTable([.init("VAULT"), .init("BLOB"), .init("SIZE", .right)])
            for blob in report.listedBlobs {
                table.append([blob.vaultId.hex, blob.blobId.hex, blob.size.map(DisplayFormat.bytes) ?? ""])
            }
            text += "\n" + table.render()
        }
        return text
    }

    /// `fsck`: the verdict first, then what was found.
    public static func fsck(_ report: FsckReport) -> String {
        let verdict: String
        switch report.result {
        case .clean: verdict = "clean"
        case .orphans: verdict = "clean, with unrecorded files (gc removes them)"
        case .damaged: verdict = "DAMAGED"
        }
        var lines: [(String, String)] = [
            ("result", verdict),
            ("blobs checked", "\(report.blobsChecked) (\(DisplayFormat.bytes(report.bytesChecked)))"
                + (report.hashesVerified ? ", contents re-hashed" : ", sizes only")),
        ]
        let findings: [(String, Int64)] = [
            ("missing blobs", report.missingBlobCount), ("wrong sizes", report.sizeMismatchCount),
            ("altered blobs", report.hashMismatchCount), ("dangling references", Int64(report.danglingReferences.count)),
            ("broken entry heads", report.brokenHeads), ("entries without a live parent", report.orphanEntries),
            ("unrecorded files", report.orphanFileCount), ("folders of deleted vaults", report.orphanVaultFolders),
        ]
        lines += findings.filter { $0.1 > 0 }.map { ($0.0, String($0.1)) }
        lines += report.databaseProblems.prefix(10).map { ("database", TerminalText.sanitized($0)) }
        var text = AccountReport.fields(lines)
        let damaged = report.missingBlobs.map { ($0, "missing") } + report.sizeMismatches.map { ($0, "wrong size") }
            + report.hashMismatches.map { ($0, "altered") } + report.danglingReferences.map { ($0, "dangling reference") }
        if !damaged.isEmpty {
            var table = TextTable([.init("VAULT"), .init("BLOB"), .init("PROBLEM")])
            for (blob, problem) in damaged { table.append([blob.vaultId.hex, blob.blobId.hex, problem]) }
            text += "\n" + table.render()
        }
        return text
    }

    /// `backup DEST`.
    public static func backup(_ report: BackupReport) -> String {
        AccountReport.fields([
            ("backup", TerminalText.sanitized(report.destination)),
            ("database", DisplayFormat.bytes(report.databaseBytes)),
            ("blobs", "\(report.blobs) (\(DisplayFormat.bytes(report.blobBytes))), \(report.hardLinkedBlobs) hard-linked"),
            ("snapshot taken", DisplayFormat.time(report.createdAt)),
            ("restore", "stop coffred, then start it with --data \(TerminalText.sanitized(report.destination))"),
        ])
    }
}
