import CoffreCrypto
import Glibc

/// Reads chunk plaintexts out of files already on disk, for delta downloads: a chunk that the
/// chunk cache places in a synced file (by blob id and key) is copied from there instead of
/// fetched.
/// A copy is used only if the file is still exactly as agreed (fstat: inode, device, size,
/// mtime) and the bytes read give the chunk's key again — `HMAC(convergence, plaintext) ==
/// chunkKey`, compared in constant time — which proves they are the chunk's plaintext.
/// Anything else (file changed, short read, mismatch) answers "not here", and the chunk is
/// fetched instead.
///
/// Owns the descriptors it opens; use from one thread at a time.
final class LocalChunkSource {
    private let root: SyncRoot
    /// Source files opened so far, by path; nil for a file found unusable.
    private var files: [String: LocalFileDescriptor?] = [:]

    init(root: SyncRoot) {
        self.root = root
    }

    /// The verified plaintext of `reference` from `location`, or nil when it cannot be used.
    func read(_ location: ChunkLocation, reference: ChunkReference, cipher: ChunkCipher) -> [UInt8]? {
        guard location.length == reference.length, let file = file(at: location) else { return nil }
        var plaintext = [UInt8](repeating: 0, count: Int(reference.length))
        let complete = plaintext.withUnsafeMutableBytes { buffer -> Bool in
            var done = 0
            while done < buffer.count {
                // pread(2): EINTR before anything was read; retried.
                let (count, _) = retryingOnInterrupt {
                    pread(file.raw, buffer.baseAddress! + done, buffer.count - done, off_t(location.offset) + off_t(done))
                }
                guard count > 0 else { return false }
                done += count
            }
            return true
        }
        guard complete, let key = try? HMACSHA256.authenticationCode(for: plaintext, key: cipher.convergenceKey),
            ConstantTime.equals(key, reference.key)
        else {
            SecretBytes.wipe(&plaintext)
            return nil
        }
        return plaintext
    }

    /// The source file, opened without following symlinks and checked against the identity
    /// the chunk cache recorded.
    private func file(at location: ChunkLocation) -> LocalFileDescriptor? {
        if let known = files[location.path] { return known }
        var opened: LocalFileDescriptor?
        if let path = try? LocalPath(location.path), let parent = try? root.openParent(of: path) {
            let result = String(path.name).withCString {
                LocalFileDescriptor.open($0, in: parent.raw, flags: O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
            }
            if case .success(let file) = result, let info = try? file.status(operation: "stat a chunk source"),
                info.fileType == S_IFREG, location.identity.hasSameContent(as: FileMetadata(info))
            {
                opened = file
            }
        }
        files[location.path] = opened
        return opened
    }
}
