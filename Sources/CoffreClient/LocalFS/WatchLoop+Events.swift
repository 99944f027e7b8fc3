import CSystemShims
import Glibc

extension WatchLoop {
    /// Turns one inotify event into reports, watch changes and rescan requests.
    func handle(_ event: InotifyEvent, at now: ContinuousClock.Instant) {
        if event.has(COFFRE_IN_Q_OVERFLOW) {
            coalescer.recordRescan(.overflow, at: now)
            return
        }
        guard let folder = table.path(for: event.watch) else { return }  // a watch already dropped
        let isRoot = folder.isEmpty
        if event.has(COFFRE_IN_IGNORED) {
            table.remove(event.watch)
            if isRoot { coalescer.recordRescan(.rootChanged, at: now) }
            return
        }
        if event.has(COFFRE_IN_UNMOUNT) || (isRoot && event.has(COFFRE_IN_DELETE_SELF | COFFRE_IN_MOVE_SELF)) {
            coalescer.recordRescan(.rootChanged, at: now)
            return
        }
        // A subfolder's own DELETE_SELF/MOVE_SELF also shows up in its parent as DELETE/MOVED_FROM.
        guard !event.name.isEmpty else { return }
        guard let path = childPath(folder, event.name) else { return }
        coalescer.record(path, at: now)
        guard event.has(COFFRE_IN_ISDIR) else { return }
        if event.has(COFFRE_IN_MOVED_FROM | COFFRE_IN_DELETE) {
            for watch in table.removeSubtree(path.onDisk) { inotify?.removeWatch(watch) }
        }
        if event.has(COFFRE_IN_CREATE | COFFRE_IN_MOVED_TO) {
            watchNewFolder(path)
        }
    }

    /// The path of `name` inside `folder`, or nil for a name that is not synced (not UTF-8,
    /// reserved, or making the path too long).
    func childPath(_ folder: String, _ name: some Collection<UInt8>) -> LocalPath? {
        guard ReservedNames.kind(of: name) == nil, let text = String(validating: name, as: UTF8.self) else { return nil }
        let onDisk = folder.isEmpty ? text : folder + "/" + text
        guard onDisk.utf8.count <= LocalPath.maximumByteCount else { return nil }
        return LocalPath(unchecked: onDisk, normalized: NameEquivalence.nfc(onDisk))
    }

    /// Watches the root and every folder below it (called once, before the stream starts).
    func watchWholeTree() {
        guard inotify != nil else { return }
        switch LocalFileDescriptor.open(".", in: root.descriptor.raw, flags: O_RDONLY | O_DIRECTORY) {
        case .success(let folder): watchSubtree(folder, path: "", reportContents: false)
        case .failure(let error): degrade(.inotifyUnavailable(errno: error.code))
        }
    }

    /// Watches a folder that appeared at `path`, and reports everything inside it.
    private func watchNewFolder(_ path: LocalPath) {
        guard let parent = try? root.openParent(of: path) else { return }
        let opened = String(path.name).withCString { LocalFileDescriptor.openFolder($0, in: parent.raw) }
        guard case .success(let folder) = opened else { return }  // gone or replaced already
        watchSubtree(folder, path: path.onDisk, reportContents: true)
    }

    /// Adds watches to `top` and all folders below it, depth first. Pending folders are kept
    /// as (opened parent, name): about one open descriptor per level, not one per folder.
    private func watchSubtree(_ top: LocalFileDescriptor, path: String, reportContents: Bool) {
        guard let inotify else { return }
        var pending: [(parent: LocalFileDescriptor?, name: String, path: String)] = [(nil, "", path)]
        while let next = pending.popLast() {
            let folder: LocalFileDescriptor
            if let parent = next.parent {
                guard case .success(let opened) = next.name.withCString({ LocalFileDescriptor.openFolder($0, in: parent.raw) }) else {
                    continue  // vanished, replaced or unreadable: the scan will report it
                }
                folder = opened
            } else {
                folder = top
            }
            if degradedReason == nil {
                if let limit = options.maximumWatches, table.count >= limit {
                    degrade(.watchLimitReached)
                } else {
                    switch inotify.addWatch(on: folder) {
                    case .success(let watch): table.insert(watch, path: next.path)
                    case .failure(let error) where error.code == ENOSPC: degrade(.kernelWatchLimitReached)
                    case .failure: break  // EACCES, ENOENT: the scan reports such folders
                    }
                }
            }
            // Degraded: still list the folder when its contents must be reported.
            guard degradedReason == nil || reportContents else { continue }
            let read = DirectoryListing.read(folder, buffer: buffer, maximumEntries: ScanOptions().maximumEntriesPerFolder)
            guard case .success(let listing) = read else {
                if reportContents { coalescer.recordRescan(.tooManyChanges, at: .now) }
                continue
            }
            for index in 0..<listing.count {
                listing.withName(at: index) { bytes, cName in
                    guard let child = childPath(next.path, bytes) else { return }
                    if reportContents { coalescer.record(child, at: .now) }
                    if isFolderToWatch(listing.type(at: index), cName, in: folder) {
                        pending.append((folder, String(child.name), child.onDisk))
                    }
                }
            }
        }
    }

    /// Whether a listed child is a folder on the root's file system (or any, when crossing).
    private func isFolderToWatch(_ type: UInt8, _ name: UnsafePointer<CChar>, in folder: LocalFileDescriptor) -> Bool {
        guard type == DT_DIR || type == DT_UNKNOWN else { return false }
        guard case .success(let info) = folder.statusOfChild(name), info.fileType == S_IFDIR else { return false }
        return options.crossesFileSystems || UInt64(info.st_dev) == root.device
    }
}
