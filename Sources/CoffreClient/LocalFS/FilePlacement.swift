import CoffreCrypto
import Glibc

/// Writes a downloaded file beside its destination and puts it in place atomically, only if the
/// destination is still what the caller expects (DESIGN §8: "writes land in a temp file and are
/// renamed into place after verification").
///
/// The bytes go to a hidden temp file in the destination's folder (`ReservedNames.temporaryPrefix`
/// + random hex, so the scanner and the watcher skip it and the rename stays on one file
/// system). `commit` sets mode and mtime, fsyncs the file, checks the destination against the
/// expectation, renames into place (renameat2(2) RENAME_NOREPLACE or RENAME_EXCHANGE, so the
/// check and the swap are one step where the file system allows), and fsyncs the folder so the
/// new name survives a crash. The same three steps can be taken one at a time (`makeDurable`,
/// `link`, `syncFolder`), so that many placements wait for the disk together. A destination
/// modified locally meanwhile is a conflict: nothing is replaced, and the temp file stays so the
/// caller can commit it under a conflict name instead. An uncommitted temp file is removed on
/// `discard()` or when the placement is released. Use one placement from one thread at a time;
/// it owns its descriptors.
public final class FilePlacement {
    /// The path being written.
    public let destination: LocalPath
    /// The temp file's name in the destination's folder.
    public let temporaryName: String
    let folder: LocalFileDescriptor
    let file: LocalFileDescriptor
    /// Permission bits to set, already limited to 0o777.
    let mode: UInt32
    let modificationTime: Int64
    /// Set once the file is placed or discarded.
    var isFinished = false
    /// Set once mode, mtime and bytes are fsynced (`makeDurable`).
    var isDurable = false

    /// Creates the temp file for `destination` under `root`. `mode` keeps only the permission
    /// bits 0o777: set-user-ID, set-group-ID and sticky bits are never set from synced data (a
    /// peer or server must not be able to plant a set-id program). `modificationTime` is in
    /// nanoseconds since the epoch. Throws `.notFound`/`.wrongKind` when the folder is missing
    /// or not a folder.
    public init(root: SyncRoot, destination: LocalPath, mode: UInt32, modificationTime: Int64) throws(LocalFSError) {
        let folder = try root.openParent(of: destination)
        self.folder = folder
        var random = [UInt8](repeating: 0, count: 12)
        do {
            random = try SecureRandom.bytes(count: 12)
        } catch {
            throw .system(operation: "draw a temp file name", code: EIO)
        }
        let name = ReservedNames.temporaryPrefix + random.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        // O_EXCL: never reuse or follow anything already there (open(2)); 0600 until commit.
        // O_RDWR: a direct write that starts mid-block reads that block's earlier bytes back
        // (`FileDescriptorDestination`).
        let opened = name.withCString {
            LocalFileDescriptor.open($0, in: folder.raw, flags: O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600)
        }
        switch opened {
        case .success(let descriptor): file = descriptor
        case .failure(let error): throw .system(operation: "create a temp file", code: error.code)
        }
        self.destination = destination
        self.temporaryName = name
        self.mode = mode & 0o777
        self.modificationTime = modificationTime
    }

    deinit {
        if !isFinished { _ = temporaryName.withCString { unlinkat(folder.raw, $0, 0) } }
    }

    /// Appends bytes to the temp file.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(LocalFSError) {
        guard !isFinished else { throw .misuse("placement already finished") }
        try file.writeAll(bytes, operation: "write a temp file")
    }

    /// Appends bytes to the temp file.
    public func write(_ bytes: [UInt8]) throws(LocalFSError) {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(LocalFSError) in try write(buffer) }
        }.get()
    }

    /// Removes the temp file without placing it.
    public func discard() throws(LocalFSError) {
        guard !isFinished else { return }
        isFinished = true
        let (result, code) = temporaryName.withCString { name in retryingOnInterrupt { unlinkat(folder.raw, name, 0) } }
        guard result == 0 || code == ENOENT else { throw .system(operation: "remove a temp file", code: code) }
    }
}

/// A folder, by device and inode: what decides that two placements' folders are one.
public struct FolderIdentity: Hashable, Sendable {
    /// st_dev.
    public let device: UInt64
    /// st_ino.
    public let inode: UInt64
}

/// What the caller believes is at the destination, from its last scan.
public enum PlacementExpectation: Sendable, Equatable {
    /// Nothing: the file is new here.
    case absent
    /// A regular file with this identity and content (inode, device, size and mtime compared).
    case file(FileMetadata)
}

/// The outcome of `FilePlacement.commit`.
public enum PlacementResult: Sendable, Equatable {
    /// The file is in place, durably; its metadata as written.
    case placed(FileMetadata)
    /// The destination is not what was expected (its current kind and metadata, or nil when it
    /// is missing). Nothing was replaced; the temp file remains for another commit or discard.
    case conflict(current: (EntryType, FileMetadata)?)

    public static func == (lhs: PlacementResult, rhs: PlacementResult) -> Bool {
        switch (lhs, rhs) {
        case (.placed(let a), .placed(let b)): return a == b
        case (.conflict(let a), .conflict(let b)): return a?.0 == b?.0 && a?.1 == b?.1
        default: return false
        }
    }
}

extension String {
    /// The string with `0` added in front up to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
