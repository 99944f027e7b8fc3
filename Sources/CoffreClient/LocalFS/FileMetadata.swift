import Glibc

/// What the sync needs to know about one entry on disk, from lstat(2)/fstat(2): enough to tell
/// whether it changed since the last scan and to recognise it after a move (inode + device).
public struct FileMetadata: Sendable, Hashable {
    /// Size in bytes (for a symlink, the length of its target; 0 is not assumed for folders).
    public var size: Int64
    /// Modification time, nanoseconds since the Unix epoch (st_mtim).
    public var modificationTime: Int64
    /// Status-change time, nanoseconds since the Unix epoch (st_ctim). It moves on every write,
    /// chmod, rename and link-count change and cannot be set by `touch`, so it catches edits
    /// that restored the mtime.
    public var changeTime: Int64
    /// Permission bits, including set-id and sticky bits (st_mode & 0o7777).
    public var mode: UInt32
    /// Inode number (st_ino).
    public var inode: UInt64
    /// Device of the file system holding the entry (st_dev).
    public var device: UInt64

    /// Creates metadata from its parts.
    public init(size: Int64, modificationTime: Int64, changeTime: Int64, mode: UInt32, inode: UInt64, device: UInt64) {
        self.size = size
        self.modificationTime = modificationTime
        self.changeTime = changeTime
        self.mode = mode
        self.inode = inode
        self.device = device
    }

    /// Whether the owner, group or others may execute the file (any x bit).
    public var isExecutable: Bool { mode & 0o111 != 0 }

    init(_ info: stat) {
        self.init(
            size: Int64(info.st_size),
            modificationTime: Self.nanoseconds(info.st_mtim),
            changeTime: Self.nanoseconds(info.st_ctim),
            mode: UInt32(info.st_mode) & 0o7777,
            inode: UInt64(info.st_ino),
            device: UInt64(info.st_dev))
    }

    /// Same file and same content as far as metadata can tell: inode, device, size and mtime.
    /// This is what "not modified locally since the caller looked" means for placement.
    func hasSameIdentityAndContent(as other: FileMetadata) -> Bool {
        inode == other.inode && device == other.device && size == other.size && modificationTime == other.modificationTime
    }

    /// Nanoseconds since the epoch, saturating for times outside ±292 years.
    static func nanoseconds(_ time: timespec) -> Int64 {
        let (scaled, overflow) = Int64(time.tv_sec).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return time.tv_sec < 0 ? .min : .max }
        let (sum, overflowSum) = scaled.addingReportingOverflow(Int64(time.tv_nsec))
        return overflowSum ? .max : sum
    }

    /// The timespec for nanoseconds since the epoch (floor division, so negative times work).
    static func timespec(nanoseconds: Int64) -> Glibc.timespec {
        var seconds = nanoseconds / 1_000_000_000
        var rest = nanoseconds % 1_000_000_000
        if rest < 0 {
            seconds -= 1
            rest += 1_000_000_000
        }
        return Glibc.timespec(tv_sec: Int(seconds), tv_nsec: Int(rest))
    }
}

extension stat {
    /// The S_IFMT bits of st_mode (inode(7)).
    var fileType: mode_t { st_mode & S_IFMT }
}
