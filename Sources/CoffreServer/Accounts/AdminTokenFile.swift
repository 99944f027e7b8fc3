import Glibc

/// Writes the first admin token to `DATA/admin.token` with mode 0600, durably: a temporary file
/// created with mode 0600 (never a moment with wider permissions), fsync, rename over the final
/// name, fsync of the directory (rename(2), fsync(2)).
enum AdminTokenFile {
    static let fileName = "admin.token"

    /// Writes `token` and a newline to `directory/admin.token`; returns the path.
    static func write(_ token: String, inDirectory directory: String) throws(RuntimeError) -> String {
        let path = directory + "/" + fileName
        let temporary = path + ".tmp"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .system(operation: "open \(fileName).tmp", errno: errno) }
        do throws(RuntimeError) {
            // The umask cannot widen 0600, but an inherited ACL default could: set it explicitly.
            guard fchmod(fd, 0o600) == 0 else { throw .system(operation: "fchmod \(fileName)", errno: errno) }
            try writeAll(Array((token + "\n").utf8), to: fd)
            guard fsync(fd) == 0 else { throw .system(operation: "fsync \(fileName)", errno: errno) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw .system(operation: "rename \(fileName)", errno: code)
        }
        try syncDirectory(directory)
        return path
    }

    /// Removes the file (when the token could not be stored in the database after all).
    static func remove(inDirectory directory: String) {
        unlink(directory + "/" + fileName)
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32) throws(RuntimeError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .system(operation: "write \(fileName)", errno: errno)
            }
            offset += written
        }
    }

    /// fsync of the directory makes the rename itself durable.
    private static func syncDirectory(_ directory: String) throws(RuntimeError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(operation: "open data directory", errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .system(operation: "fsync data directory", errno: errno) }
    }
}
