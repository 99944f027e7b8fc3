import COpenSSL
import Glibc

/// Checks on the PEM files (certificate chain, private key, CA bundle) before OpenSSL reads them,
/// so a missing or odd file gives a clear error instead of a bare "system lib" entry.
enum TLSPEMFile {
    /// Upper bound on a PEM file: a long chain or a CA bundle is a few hundred KiB at most.
    static let maximumSize = 4 << 20

    /// Throws `.fileUnreadable` unless `path` is a readable regular file of at most `maximumSize` bytes.
    static func checkReadable(_ path: String) throws(TLSError) {
        guard !path.isEmpty, !path.utf8.contains(0) else {
            throw .fileUnreadable(path: path, reason: "the path is empty or contains NUL")
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw .fileUnreadable(path: path, reason: TLSError.systemErrorText(errno))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw .fileUnreadable(path: path, reason: "not a regular file")
        }
        guard info.st_size <= maximumSize else {
            throw .fileUnreadable(path: path, reason: "larger than \(maximumSize >> 20) MiB")
        }
        guard access(path, R_OK) == 0 else {
            throw .fileUnreadable(path: path, reason: TLSError.systemErrorText(errno))
        }
    }
}
