import Glibc

/// Writes the first admin token to `DATA/admin.token` with mode 0600, durably: a temporary file
/// created with mode 0600 (so there is never a moment with wider permissions), written, synced,
/// renamed over the final name, and the directory synced so the rename itself survives a crash
/// (rename(2), fsync(2)). The descriptors are the blob store's `FileDescriptor`, which checks
/// every call and retries on EINTR; failures are `BlobStoreError.io` with the errno text.
enum AdminTokenFile {
    static let fileName = "admin.token"

    /// Writes `token` and a newline to `directory/admin.token`; returns the path.
    static func write(_ token: String, inDirectory directory: String) throws(BlobStoreError) -> String {
        let path = directory + "/" + fileName
        let temporary = path + ".tmp"
        _ = unlink(temporary)
        do throws(BlobStoreError) {
            let file = try FileDescriptor.open(
                temporary, relativeTo: nil, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600,
                operation: "create \(fileName)")
            // The umask can only narrow 0600; set it explicitly anyway, as the contract is 0600.
            guard fchmod(file.raw, 0o600) == 0 else { throw BlobStoreError.system("chmod \(fileName)", errno: errno) }
            let line = Array((token + "\n").utf8)
            let written = line.withUnsafeBytes { bytes in
                Result { () throws(BlobStoreError) in try file.writeAll(bytes, operation: "write \(fileName)") }
            }
            try written.get()
            try file.sync(operation: "sync \(fileName)")
            guard rename(temporary, path) == 0 else { throw BlobStoreError.system("rename \(fileName)", errno: errno) }
        } catch {
            _ = unlink(temporary)
            throw error
        }
        let folder = try FileDescriptor.open(directory, relativeTo: nil, flags: O_RDONLY | O_DIRECTORY, operation: "open the data directory")
        try folder.sync(operation: "sync the data directory")
        return path
    }

    /// Removes the file (when the token could not be stored in the database after all).
    static func remove(inDirectory directory: String) {
        _ = unlink(directory + "/" + fileName)
    }
}
