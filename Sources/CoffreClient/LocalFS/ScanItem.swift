/// One result of a scan: an entry to sync, or a path the scan saw but did not take, with why.
public enum ScanItem: Sendable, Equatable {
    /// A file, folder or symlink with its metadata.
    case entry(ScannedEntry)
    /// A path that is not synced (ignored, unsupported kind) or could not be read right now.
    case skipped(SkippedEntry)
}

/// A file, folder or symlink found by the scanner.
public struct ScannedEntry: Sendable, Equatable {
    /// What the entry is; symlinks carry their target.
    public enum Kind: Sendable, Equatable {
        /// A regular file.
        case file
        /// A folder; the scan lists its contents right after it.
        case folder
        /// A symbolic link, never followed. `target` is the link text as stored (it may be
        /// absolute or point outside the root; it is synced as text, not resolved).
        case symlink(target: String)
    }

    /// Where the entry is, relative to the root.
    public let path: LocalPath
    /// File, folder or symlink.
    public let kind: Kind
    /// lstat(2) metadata of the entry itself.
    public let metadata: FileMetadata
}

/// A path the scan did not take as an entry.
public struct SkippedEntry: Sendable, Equatable {
    /// The path as raw bytes relative to the root, always present (it may not be UTF-8).
    public let rawPath: [UInt8]
    /// The path as text, when its bytes are valid UTF-8.
    public let path: LocalPath?
    /// Why it was skipped.
    public let reason: SkipReason

    /// The path for display: invalid UTF-8 sequences shown as U+FFFD.
    public var displayPath: String { String(decoding: rawPath, as: UTF8.self) }
}

/// Why a path was skipped. The reasons split in two groups, which the planner must treat
/// differently:
/// - *not synced by rule* (`ignored`, `syncStateFolder`, `syncTemporaryFile`, `unsupportedKind`,
///   `invalidUTF8Name`, `invalidUTF8Target`, `targetTooLong`, `pathTooLong`, `tooDeep`,
///   `otherFileSystem`, `tooManyEntries`): the path exists but is outside the sync;
/// - *unknown right now* (`vanished`, `changedDuringScan`, `unreadable`,
///   `ignoreFileRejected`): the state of the path — and of everything below a folder — is
///   unknown; the planner must not take it, or anything under it, as deleted.
public enum SkipReason: Sendable, Equatable {
    /// Matched by a `.coffreignore` rule or a built-in default (`IgnoreRules`).
    case ignored
    /// The sync's own state folder (`ReservedNames.stateFolder`).
    case syncStateFolder
    /// A temporary file of the sync (`ReservedNames.temporaryPrefix`), e.g. left by a crash:
    /// the planner may delete it.
    case syncTemporaryFile
    /// A FIFO, socket, character or block device: not something a file sync carries.
    case unsupportedKind(UnsupportedKind)
    /// The name's bytes are not valid UTF-8, so it has no portable text form.
    case invalidUTF8Name
    /// A symlink whose target is not valid UTF-8.
    case invalidUTF8Target
    /// A symlink whose target is longer than `EntryRecord.maximumTargetByteCount` bytes.
    case targetTooLong
    /// The relative path is longer than `LocalPath.maximumByteCount` bytes (ENAMETOOLONG for
    /// anything that uses it as a path).
    case pathTooLong
    /// A folder deeper than `ScanOptions.maximumDepth`; its contents are not listed.
    case tooDeep
    /// A folder that is a mount point of another file system (`ScanOptions.crossesFileSystems`).
    case otherFileSystem
    /// A folder with more entries than `ScanOptions.maximumEntriesPerFolder`.
    case tooManyEntries
    /// The entry disappeared between the folder listing and its lstat (or open).
    case vanished
    /// The entry was replaced while being examined (a folder swapped for another inode or a
    /// symlink between lstat and open).
    case changedDuringScan
    /// lstat, open or listing failed with this errno (EACCES on an unreadable folder, EIO...).
    case unreadable(errno: Int32)
    /// The folder's `.coffreignore` could not be read or is over the size limit, so which of
    /// its contents are ignored is unknown; the folder is not listed.
    case ignoreFileRejected

    /// True for the reasons whose path's state is unknown (see the type's documentation).
    public var stateIsUnknown: Bool {
        switch self {
        case .vanished, .changedDuringScan, .unreadable, .ignoreFileRejected: return true
        default: return false
        }
    }
}

/// Entry kinds the sync does not carry.
public enum UnsupportedKind: Sendable, Equatable {
    case fifo, socket, characterDevice, blockDevice, unknown
}
