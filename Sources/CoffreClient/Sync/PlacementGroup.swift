import HTTPServer

/// Places written downloads together, so that they share the waits for the disk
/// (docs/sync-client.md "Placing downloads"):
///
/// 1. every temp file's mode, mtime and bytes are made durable: for a group of at least
///    `fileSystemSyncFiles` files, mode and mtime set on each, then one syncfs(2)
///    (`FilePlacement.makeDurable(together:)`); for a smaller group, or when that syncfs
///    fails, one fsync(2) per file, side by side (`ConcurrentFileSyncs`: a journal commits
///    them together) — which also tells whose bytes did not make it;
/// 2. each file is checked against its destination and renamed into place, one after the
///    other, exactly as a lone `FilePlacement.commit` does (a file edited meanwhile is not
///    replaced);
/// 3. every folder that gained a name is fsynced once, side by side (by device and inode:
///    100 folders for 10,000 files, not 10,000 fsyncs).
///
/// So for each file, as alone: its content is durable before its name appears, and its name is
/// durable before the outcome says `.placed` — before the index may record it. A failure of
/// one file's fsync or rename fails that file; a failed folder fsync fails the files renamed
/// into that folder (their names may not survive a crash, so they are not reported placed; the
/// next pass finds them in place and adopts them). Errors other than `LocalFSError` (a fault
/// hook's simulated crash) end the group at once. Cancellation is honoured before the renames;
/// once they have begun, the group finishes, so what is in place is also durable.
struct PlacementGroup: Sendable {
    /// One written download.
    struct Member: Sendable {
        let writer: PlacementWriter
        /// What the scan saw at the destination.
        let expectation: PlacementExpectation
    }

    /// How far one member got.
    enum Outcome: Sendable, Equatable {
        /// In place, durably; its metadata as written.
        case placed(FileMetadata)
        /// The destination is not what was expected any more (edited meanwhile): nothing was
        /// replaced and the temp file is gone; the next round sees the edit.
        case destinationChanged
        /// A step failed for this file; nothing of it is recorded as placed.
        case failed(LocalFSError)
    }

    /// fsync(2)s in flight at once.
    let syncWidth: Int
    /// Groups of at least this many files make their temp files durable with one syncfs(2)
    /// instead of an fsync(2) each. A syncfs also waits for whatever else of the file system
    /// is dirty, so a few files are still fsynced one by one.
    var fileSystemSyncFiles = Int.max
    let faultHook: SyncFaultHook?

    /// Places `members`; the outcomes in their order. Members not placed have their temp
    /// files removed as their writers are released.
    func place(_ members: [Member]) async throws -> [Outcome] {
        var outcomes = [Outcome?](repeating: nil, count: members.count)
        let hook = faultHook
        let synced = try await makeDurable(members)
        for (index, result) in synced.enumerated() {
            if case .failure(let error) = result { outcomes[index] = .failed(try Self.entryLevel(error)) }
        }
        try faultHook?(.downloadsSynced)
        try Task.checkCancellation()

        let durable = outcomes.indices.filter { outcomes[$0] == nil }
        let linked = try await HTTPBlockingWork.run { try Self.link(durable.map { members[$0] }, hook: hook) }
        var folders: [FolderIdentity: [Int]] = [:]
        for (index, link) in zip(durable, linked) {
            switch link {
            case .placed(let metadata, let folder):
                outcomes[index] = .placed(metadata)
                folders[folder, default: []].append(index)
            case .destinationChanged:
                outcomes[index] = .destinationChanged
            case .failed(let error):
                outcomes[index] = .failed(error)
            }
        }
        try faultHook?(.downloadsRenamed)

        let gained = Array(folders.values)
        let folderSyncs = await ConcurrentFileSyncs.run(gained, width: syncWidth) { placedThere in
            let writer = members[placedThere[0]].writer
            return Result { () throws in
                try hook?(.syncingFolder(path: writer.destination.parent?.onDisk ?? ""))
                try writer.syncFolder()
            }
        }
        for (placedThere, result) in zip(gained, folderSyncs) {
            guard case .failure(let error) = result else { continue }
            let failure = try Self.entryLevel(error)
            for index in placedThere { outcomes[index] = .failed(failure) }
        }
        try faultHook?(.afterPlacement)
        return outcomes.map { $0 ?? .failed(.misuse("a placement outcome is missing")) }
    }

    /// Step 1: each member's temp file durable, or its own failure.
    private func makeDurable(_ members: [Member]) async throws -> [Result<Void, any Error>] {
        let hook = faultHook
        if members.count >= fileSystemSyncFiles,
            let together = try await HTTPBlockingWork.run({ try Self.syncTogether(members, hook: hook) })
        {
            return together
        }
        return await ConcurrentFileSyncs.run(members, width: syncWidth) { member in
            Result { () throws in
                try hook?(.syncingDownload(path: member.writer.destination.onDisk))
                try member.writer.makeDurable()
            }
        }
    }

    /// Step 1 with one syncfs(2), blocking: the members the hook fails keep their failure, the
    /// others are made durable together. Nil when that fails (the syncfs, or a member's mode or
    /// mtime): nothing is durable then, and step 1 is taken again one file at a time.
    private static func syncTogether(_ members: [Member], hook: SyncFaultHook?) throws -> [Result<Void, any Error>]? {
        var results: [Result<Void, any Error>] = []
        results.reserveCapacity(members.count)
        var placements: [FilePlacement] = []
        placements.reserveCapacity(members.count)
        for member in members {
            do {
                try hook?(.syncingDownload(path: member.writer.destination.onDisk))
                placements.append(member.writer.placement)
                results.append(.success(()))
            } catch {
                results.append(.failure(try entryLevel(error)))
            }
        }
        do {
            try hook?(.syncingFileSystem)
            try FilePlacement.makeDurable(together: placements)
        } catch {
            _ = try entryLevel(error)
            return nil
        }
        return results
    }

    /// The outcome of step 2 for one member.
    private enum Link: Sendable {
        case placed(FileMetadata, folder: FolderIdentity)
        case destinationChanged
        case failed(LocalFSError)
    }

    /// Step 2, blocking: each member checked and renamed in turn.
    private static func link(_ members: [Member], hook: SyncFaultHook?) throws -> [Link] {
        try members.map { member in
            do {
                try hook?(.placingDownload(path: member.writer.destination.onDisk))
                guard case .placed(let metadata) = try member.writer.linkOrDiscard(expecting: member.expectation) else {
                    return .destinationChanged
                }
                return .placed(metadata, folder: try member.writer.folderIdentity())
            } catch {
                return .failed(try entryLevel(error))
            }
        }
    }

    /// A file's own failure, or (rethrown) an error that ends the pass.
    private static func entryLevel(_ error: any Error) throws -> LocalFSError {
        guard let failure = error as? LocalFSError else { throw error }
        return failure
    }
}
