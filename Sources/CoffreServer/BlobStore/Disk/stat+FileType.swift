import Foundation
import Glibc

extension stat {
    /// True for a regular file (S_ISREG, inode(7)).
    var isRegularFile: Bool { st_mode & S_IFMT == S_IFREG }

    /// True for a directory (S_ISDIR, inode(7)).
    var isDirectory: Bool { st_mode & S_IFMT == S_IFDIR }

    /// The modification time, which a blob file keeps from its upload (or last idempotent
    /// re-put) since it is never written again.
    var modificationDate: Date {
        Date(timeIntervalSince1970: Double(st_mtim.tv_sec) + Double(st_mtim.tv_nsec) / 1_000_000_000)
    }
}
