import Foundation
import Glibc
@testable import CoffreClient

/// A folder under the system temp directory for one test, removed when released. Helpers make
/// every kind of entry with plain system calls so tests do not depend on the code under test.
final class TemporaryTree {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/coffre-localfs-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw LocalFSError.system(operation: "mkdtemp", code: errno)
        }
        path = String(cString: made)
    }

    deinit {
        let parent = open("/", O_RDONLY | O_DIRECTORY)
        String(path.dropFirst()).withCString { Self.removeTree(named: $0, in: parent) }
        close(parent)
    }

    /// Removes an entry and everything below it with *at calls, so that paths longer than
    /// PATH_MAX (which FileManager cannot remove) go too; folders chmodded to 000 are opened up.
    private static func removeTree(named name: UnsafePointer<CChar>, in parent: Int32) {
        if unlinkat(parent, name, 0) == 0 { return }
        _ = fchmodat(parent, name, 0o755, 0)
        let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        guard fd >= 0, let stream = fdopendir(fd) else { return }
        // Raw bytes, not Strings: a test leaves a name that is not UTF-8.
        var children: [[CChar]] = []
        while let entry = readdir(stream) {
            let child = withUnsafeBytes(of: entry.pointee.d_name) { $0.prefix { $0 != 0 }.map { CChar(bitPattern: $0) } }
            if child != [46] && child != [46, 46] { children.append(child + [0]) }
        }
        for child in children { child.withUnsafeBufferPointer { removeTree(named: $0.baseAddress!, in: dirfd(stream)) } }
        closedir(stream)
        _ = unlinkat(parent, name, AT_REMOVEDIR)
    }

    func absolute(_ relative: String) -> String { path + "/" + relative }

    func root() throws -> SyncRoot { try SyncRoot(path: path) }

    @discardableResult
    func write(_ relative: String, _ contents: String = "", mode: mode_t = 0o644) throws -> String {
        try write(relative, bytes: Array(contents.utf8), mode: mode)
    }

    @discardableResult
    func write(_ relative: String, bytes: [UInt8], mode: mode_t = 0o644) throws -> String {
        let full = absolute(relative)
        let fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw LocalFSError.system(operation: "test open", code: errno) }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw LocalFSError.system(operation: "test write", code: errno) }
        guard fchmod(fd, mode) == 0 else { throw LocalFSError.system(operation: "test chmod", code: errno) }
        return full
    }

    func append(_ relative: String, _ contents: String) throws {
        let fd = open(absolute(relative), O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw LocalFSError.system(operation: "test open", code: errno) }
        defer { close(fd) }
        _ = contents.withCString { Glibc.write(fd, $0, strlen($0)) }
    }

    func folder(_ relative: String) throws {
        guard mkdir(absolute(relative), 0o755) == 0 else { throw LocalFSError.system(operation: "test mkdir", code: errno) }
    }

    func symlink(_ relative: String, to target: String) throws {
        guard Glibc.symlink(target, absolute(relative)) == 0 else { throw LocalFSError.system(operation: "test symlink", code: errno) }
    }

    func fifo(_ relative: String) throws {
        guard mkfifo(absolute(relative), 0o644) == 0 else { throw LocalFSError.system(operation: "test mkfifo", code: errno) }
    }

    func remove(_ relative: String) throws {
        try FileManager.default.removeItem(atPath: absolute(relative))
    }

    func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(absolute(from), absolute(to)) == 0 else { throw LocalFSError.system(operation: "test rename", code: errno) }
    }

    func read(_ relative: String) throws -> String {
        try String(contentsOfFile: absolute(relative), encoding: .utf8)
    }

    func lstat(_ relative: String) throws -> stat {
        var info = stat()
        guard Glibc.lstat(absolute(relative), &info) == 0 else { throw LocalFSError.system(operation: "test lstat", code: errno) }
        return info
    }

    func exists(_ relative: String) -> Bool {
        var info = stat()
        return Glibc.lstat(absolute(relative), &info) == 0
    }

    /// Sets the mtime of an entry (seconds since the epoch).
    func setModificationTime(_ relative: String, seconds: Int) throws {
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        guard utimensat(AT_FDCWD, absolute(relative), &times, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw LocalFSError.system(operation: "test utimensat", code: errno)
        }
    }

    /// Names of the entries of a folder, sorted.
    func names(in relative: String = "") throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: relative.isEmpty ? path : absolute(relative)).sorted()
    }
}

extension Array where Element == ScanItem {
    /// The entries, by on-disk path.
    var entries: [String: ScannedEntry] {
        var result: [String: ScannedEntry] = [:]
        for case .entry(let entry) in self { result[entry.path.onDisk] = entry }
        return result
    }

    /// The skipped paths (display form) with their reasons.
    var skipped: [String: SkipReason] {
        var result: [String: SkipReason] = [:]
        for case .skipped(let skipped) in self { result[skipped.displayPath] = skipped.reason }
        return result
    }

    /// Every path in the order the scan produced them.
    var order: [String] {
        map {
            switch $0 {
            case .entry(let entry): return entry.path.onDisk
            case .skipped(let skipped): return skipped.displayPath
            }
        }
    }
}
