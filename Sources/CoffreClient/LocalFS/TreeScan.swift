import Glibc

/// One walk over a sync root: a stream of `ScanItem`s, depth first, a folder before its
/// contents, siblings in byte order of their names.
///
/// Every entry is examined with fstatat(2) (AT_SYMLINK_NOFOLLOW) relative to its folder's
/// descriptor; symlinks are read with readlinkat(2) and never followed; folders are opened with
/// O_NOFOLLOW and checked to be the inode that was examined. Memory is bounded by the depth of
/// the tree (one open folder, with its sorted names, per level), never by its size — the
/// caller may still collect the items. Per-entry problems become `.skipped` items; nothing
/// after the root is fatal.
///
/// Not thread-safe: use one scan from one thread. Start one with `SyncRoot.scan(options:)`.
public final class TreeScan: Sequence, IteratorProtocol {
    /// One folder being listed.
    private struct Frame {
        let folder: LocalFileDescriptor
        let listing: DirectoryListing
        var next = 0
        /// On-disk and NFC relative paths of the folder ("" for the root).
        let path: String
        let normalized: String
        /// The root is level 0, its children level 1.
        let level: Int
        let opensIgnoreScope: Bool
    }

    /// `.coffreignore` rules in force for the current folder, deepest last.
    struct IgnoreScope {
        /// UTF-8 length of the NFC path of the folder holding the file (0 for the root).
        let folderLength: Int
        let file: IgnoreFile
    }

    private let options: ScanOptions
    private let rootDevice: UInt64
    private var frames: [Frame] = []
    var scopes: [IgnoreScope] = []
    /// Scratch space for getdents64(2), reused for every folder.
    private let direntBuffer: UnsafeMutableRawBufferPointer
    /// The built-in defaults and every `.coffreignore` file read so far; complete once the scan
    /// has ended, for matching paths reported later by the watcher.
    public internal(set) var ignoreRules: IgnoreRules

    init(root: SyncRoot, options: ScanOptions) throws(LocalFSError) {
        self.options = options
        self.rootDevice = root.device
        self.ignoreRules = IgnoreRules(includingDefaults: options.appliesIgnoreRules && options.includesDefaultIgnorePatterns)
        self.direntBuffer = .allocate(byteCount: 64 * 1024, alignment: 8)
        // A descriptor of its own, so this scan's getdents64 position is not shared.
        let folder: LocalFileDescriptor
        switch LocalFileDescriptor.open(".", in: root.descriptor.raw, flags: O_RDONLY | O_DIRECTORY) {
        case .success(let opened): folder = opened
        case .failure(let error): throw .system(operation: "open the sync root for a scan", code: error.code)
        }
        let listing: DirectoryListing
        switch DirectoryListing.read(folder, buffer: direntBuffer, maximumEntries: options.maximumEntriesPerFolder) {
        case .success(let read): listing = read
        case .failure(.system(let code)): throw .system(operation: "list the sync root", code: code)
        case .failure(.tooManyEntries): throw .system(operation: "list the sync root", code: EFBIG)
        case .failure(.malformed(let reason)): throw .malformedRecord(reason)
        }
        var opensScope = false
        if options.appliesIgnoreRules && listing.contains(ReservedNames.ignoreFile) {
            switch Self.loadIgnoreFile(in: folder, folderPath: "") {
            case .success(let file?): opensScope = openScope(file, folderLength: 0)
            case .success(nil): break
            case .failure(let error): throw error
            }
        }
        frames.append(Frame(folder: folder, listing: listing, path: "", normalized: "", level: 0, opensIgnoreScope: opensScope))
    }

    deinit {
        direntBuffer.deallocate()
    }

    /// The next item, or nil when the whole tree has been walked.
    public func next() -> ScanItem? {
        while let top = frames.last {
            guard top.next < top.listing.count else {
                if top.opensIgnoreScope { scopes.removeLast() }
                frames.removeLast()
                continue
            }
            frames[frames.count - 1].next += 1
            return examine(top, index: top.next)
        }
        return nil
    }

    /// Examines child `index` of `frame`; pushes a frame when it is a folder to descend into.
    private func examine(_ frame: Frame, index: Int) -> ScanItem {
        frame.listing.withName(at: index) { nameBytes, cName in
            guard let name = String(validating: nameBytes, as: UTF8.self) else {
                let raw = frame.path.isEmpty ? Array(nameBytes) : Array(frame.path.utf8) + [UInt8(ascii: "/")] + nameBytes
                return .skipped(SkippedEntry(rawPath: raw, path: nil, reason: .invalidUTF8Name))
            }
            let normalizedName = NameEquivalence.nfc(name)
            let path = LocalPath(
                unchecked: frame.path.isEmpty ? name : frame.path + "/" + name,
                normalized: frame.normalized.isEmpty ? normalizedName : frame.normalized + "/" + normalizedName)
            func skip(_ reason: SkipReason) -> ScanItem {
                .skipped(SkippedEntry(rawPath: path.bytes, path: path, reason: reason))
            }
            guard path.onDisk.utf8.count <= LocalPath.maximumByteCount else { return skip(.pathTooLong) }
            if let reserved = ReservedNames.kind(of: nameBytes) { return skip(reserved) }

            // d_type spares the lstat of an ignored entry; DT_UNKNOWN needs the lstat first.
            var info: stat?
            let type = frame.listing.type(at: index)
            if type == DT_UNKNOWN {
                switch frame.folder.statusOfChild(cName) {
                case .success(let status): info = status
                case .failure(let error): return skip(Self.reason(forFailed: error))
                }
            }
            var checkedAsFolder = info.map { $0.fileType == S_IFDIR } ?? (type == DT_DIR)
            let nameLength = normalizedName.utf8.count
            if isIgnored(path.normalized, nameLength: nameLength, isFolder: checkedAsFolder) { return skip(.ignored) }
            let status: stat
            if let info {
                status = info
            } else {
                switch frame.folder.statusOfChild(cName) {
                case .success(let fresh): status = fresh
                case .failure(let error): return skip(Self.reason(forFailed: error))
                }
            }
            // Replaced by another kind since the listing: the folder-only rules may now apply.
            if (status.fileType == S_IFDIR) != checkedAsFolder {
                checkedAsFolder.toggle()
                if isIgnored(path.normalized, nameLength: nameLength, isFolder: checkedAsFolder) { return skip(.ignored) }
            }
            switch EntryType(status) {
            case .file:
                return .entry(ScannedEntry(path: path, kind: .file, metadata: FileMetadata(status)))
            case .symlink:
                return symlink(path, in: frame.folder, name: cName, status: status)
            case .folder:
                return descend(into: path, from: frame, name: cName, status: status)
            case .unsupported(let kind):
                return skip(.unsupportedKind(kind))
            }
        }
    }

    private func symlink(_ path: LocalPath, in folder: LocalFileDescriptor, name: UnsafePointer<CChar>, status: stat) -> ScanItem {
        func skip(_ reason: SkipReason) -> ScanItem {
            .skipped(SkippedEntry(rawPath: path.bytes, path: path, reason: reason))
        }
        switch folder.linkTarget(of: name, limit: EntryRecord.maximumTargetByteCount) {
        case .success(nil):
            return skip(.targetTooLong)
        case .success(let bytes?):
            guard let target = String(validating: bytes, as: UTF8.self) else { return skip(.invalidUTF8Target) }
            return .entry(ScannedEntry(path: path, kind: .symlink(target: target), metadata: FileMetadata(status)))
        case .failure(let error) where error.code == EINVAL:
            return skip(.changedDuringScan)  // no longer a symlink (readlink(2): EINVAL)
        case .failure(let error):
            return skip(Self.reason(forFailed: error))
        }
    }

    /// Opens a child folder, lists it and pushes its frame; the folder's entry is returned
    /// only when its contents can be listed, otherwise it is skipped with the reason.
    private func descend(into path: LocalPath, from parent: Frame, name: UnsafePointer<CChar>, status: stat) -> ScanItem {
        func skip(_ reason: SkipReason) -> ScanItem {
            .skipped(SkippedEntry(rawPath: path.bytes, path: path, reason: reason))
        }
        if UInt64(status.st_dev) != rootDevice && !options.crossesFileSystems { return skip(.otherFileSystem) }
        let level = parent.level + 1
        guard level <= options.maximumDepth else { return skip(.tooDeep) }
        let folder: LocalFileDescriptor
        switch LocalFileDescriptor.openFolder(name, in: parent.folder.raw) {
        case .success(let opened): folder = opened
        case .failure(let error) where error.code == ENOTDIR || error.code == ELOOP: return skip(.changedDuringScan)
        case .failure(let error): return skip(Self.reason(forFailed: error))
        }
        guard let opened = try? folder.status(operation: "stat an opened folder") else { return skip(.unreadable(errno: EIO)) }
        guard opened.st_ino == status.st_ino && opened.st_dev == status.st_dev else { return skip(.changedDuringScan) }
        let listing: DirectoryListing
        switch DirectoryListing.read(folder, buffer: direntBuffer, maximumEntries: options.maximumEntriesPerFolder) {
        case .success(let read): listing = read
        case .failure(.system(let code)): return skip(.unreadable(errno: code))
        case .failure(.tooManyEntries): return skip(.tooManyEntries)
        case .failure(.malformed): return skip(.unreadable(errno: EIO))
        }
        var opensScope = false
        if options.appliesIgnoreRules && listing.contains(ReservedNames.ignoreFile) {
            switch Self.loadIgnoreFile(in: folder, folderPath: path.normalized) {
            case .success(let file?): opensScope = openScope(file, folderLength: path.normalized.utf8.count)
            case .success(nil): break
            case .failure: return skip(.ignoreFileRejected)
            }
        }
        frames.append(Frame(
            folder: folder, listing: listing, path: path.onDisk, normalized: path.normalized, level: level,
            opensIgnoreScope: opensScope))
        return .entry(ScannedEntry(path: path, kind: .folder, metadata: FileMetadata(opened)))
    }

    /// The skip reason for an lstat/open/readlink failure.
    private static func reason(forFailed error: Errno) -> SkipReason {
        error.code == ENOENT ? .vanished : .unreadable(errno: error.code)
    }
}
