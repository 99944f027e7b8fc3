import CSystemShims
import Glibc

/// Copies runs of chunks that a synced file holds unchanged into a download's temp file
/// without hashing them again (docs/sync-client.md, "Downloads"): a run of 8 MiB or more with
/// direct I/O (`DirectRangeCopier`, no fresh page cache for either file), a shorter one — or
/// one the direct copier declines — with copy_file_range(2), in the kernel. A 10-byte edit in
/// a 1 GiB file so costs one fetched chunk and a copy, not a gigabyte of reads and HMACs.
///
/// The proof that the bytes are the chunks' plaintext is the file's metadata, taken on the
/// open descriptor so that it concerns the inode actually read: fstat(2) must match the
/// identity the index recorded when the file was agreed — inode, device, size, mtime and
/// ctime in nanoseconds (`LocalIdentity.provesContent`) — once when the source is opened,
/// before its first copy, and again for every source after the last copy (`confirm`). Any
/// write, truncation, rename over it or new link moves st_ctime (inode(7)), which no system
/// call can set back; so equal identities before and after mean that every byte copied in
/// between is the recorded one. A source that fails the first check is not used (its chunks
/// are fetched or verified instead); a source that changed during or after a copy
/// (`confirm` false, or a source shorter than its range) makes the whole temp file unusable,
/// and the caller writes it again, every local chunk read and verified.
///
/// Every range copied in the kernel starts its writeback at once (sync_file_range(2) SYNC_FILE_RANGE_WRITE,
/// a head start only: the placement's fsync stays the guarantee), so the disk writes the copy
/// while the rest is fetched and copied. Owns the sources' descriptors; use from one thread
/// at a time (it belongs to one `PlacementWriter`).
final class SyncedRangeCopier {
    /// What a copy did.
    enum Outcome: Equatable {
        /// The whole range is appended.
        case copied
        /// The source does not hold the recorded content (or cannot be opened): nothing was
        /// written; the chunks must come from elsewhere.
        case unavailable
        /// The source changed under the copy: the temp file holds bytes that are not proven
        /// and must be written again.
        case sourceChanged
    }

    /// Bytes copied per system call, after each of which their writeback is started.
    static let sliceBytes = 8 << 20

    private let root: SyncRoot
    private let destination: LocalFileDescriptor
    private let faultHook: SyncFaultHook?
    /// Sources opened so far, by path, with the identity they were checked against; nil for a
    /// file found unusable.
    private var sources: [String: (file: LocalFileDescriptor, identity: LocalIdentity)?] = [:]
    /// False once copy_file_range(2) said it cannot copy between these files: read and write.
    private var kernelCopies = true
    /// Copies runs of `DirectRangeCopier.minimumBytes` or more with O_DIRECT; nil once the
    /// temp file refused it (those runs then go through copy_file_range(2) too).
    private(set) var directCopier: DirectRangeCopier?

    /// `directCopier` nil copies every run with copy_file_range(2).
    init(root: SyncRoot, destination: LocalFileDescriptor, faultHook: SyncFaultHook?, directCopier: DirectRangeCopier? = DirectRangeCopier()) {
        self.root = root
        self.destination = destination
        self.faultHook = faultHook
        self.directCopier = directCopier
    }

    /// Whether a location may be copied on metadata alone: its file's ctime is recorded.
    static func canProve(_ location: ChunkLocation) -> Bool {
        location.identity.changeTime != 0
    }

    /// Appends `length` bytes of the synced file at `location` from its offset. Blocking.
    func copy(_ location: ChunkLocation, length: Int64) throws -> Outcome {
        guard length >= 0, let source = source(at: location) else { return .unavailable }
        try faultHook?(.copyingUnchangedRange(path: location.path))
        if length >= Int64(DirectRangeCopier.minimumBytes), let direct = directCopier {
            switch try direct.copy(from: source.raw, at: location.offset, length: length, to: destination.raw) {
            case .copied: return .copied
            // The source ends before the range: it was truncated after the first check.
            case .sourceEnded: return .sourceChanged
            case .refused: directCopier = nil
            case .busy: break
            }
        }
        var readOffset = location.offset
        var writeOffset = Int64(lseek(destination.raw, 0, SEEK_CUR))
        guard writeOffset >= 0 else { throw LocalFSError.system(operation: "find a temp file's end", code: errno) }
        var remaining = length
        while remaining > 0 {
            let slice = Int(min(remaining, Int64(Self.sliceBytes)))
            let copied = try copySlice(from: source.raw, at: &readOffset, count: slice)
            // The source ends before the range: it was truncated after the first check.
            guard copied > 0 else { return .sourceChanged }
            // sync_file_range(2): "initiate write-out of all dirty pages in the specified range".
            let (started, code) = retryingOnInterrupt {
                coffre_sync_file_range(destination.raw, writeOffset, Int64(copied), COFFRE_SYNC_FILE_RANGE_WRITE)
            }
            guard started == 0 else { throw LocalFSError.system(operation: "start writing a temp file back", code: code) }
            writeOffset += Int64(copied)
            remaining -= Int64(copied)
        }
        return .copied
    }

    /// Whether every source used still has the identity it was checked against, after the
    /// last copy. Blocking.
    func confirm() throws -> Bool {
        // The copies are over: the direct copier's buffers go back for other files' copies.
        directCopier?.release()
        try faultHook?(.unchangedRangesCopied)
        for case let (file, identity)? in sources.values {
            guard let info = try? file.status(operation: "stat a copied file"), identity.provesContent(of: FileMetadata(info)) else {
                return false
            }
        }
        return true
    }

    /// Up to `count` bytes from `source` at `offset` (advanced) appended to the temp file; 0
    /// at the source's end.
    private func copySlice(from source: Int32, at offset: inout Int64, count: Int) throws(LocalFSError) -> Int {
        if kernelCopies {
            var position = offset
            let (copied, code) = retryingOnInterrupt { coffre_copy_file_range(source, &position, destination.raw, count) }
            if copied >= 0 {
                offset = position
                return Int(copied)
            }
            // copy_file_range(2): EXDEV (another file system, before Linux 5.3 or since 5.19),
            // ENOSYS (no such call), EOPNOTSUPP (the file system cannot), EINVAL (files it
            // refuses): nothing was copied; read(2)/write(2) do it instead.
            guard code == EXDEV || code == ENOSYS || code == EOPNOTSUPP || code == EINVAL else {
                throw .system(operation: "copy an unchanged range", code: code)
            }
            kernelCopies = false
        }
        return try readAndWrite(from: source, at: &offset, count: count)
    }

    /// The read(2)/write(2) fallback of `copySlice`.
    private func readAndWrite(from source: Int32, at offset: inout Int64, count: Int) throws(LocalFSError) -> Int {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
        defer { buffer.deallocate() }
        let start = offset
        let (read, code) = retryingOnInterrupt { pread(source, buffer.baseAddress, count, off_t(start)) }
        guard read >= 0 else { throw .system(operation: "read an unchanged range", code: code) }
        try destination.writeAll(UnsafeRawBufferPointer(rebasing: buffer[0..<read]), operation: "write a temp file")
        offset += Int64(read)
        return read
    }

    /// The source of `location`, opened without following symlinks, if fstat(2) of the
    /// descriptor proves it holds the recorded content.
    private func source(at location: ChunkLocation) -> LocalFileDescriptor? {
        if let known = sources[location.path] {
            guard let known, known.identity == location.identity else { return nil }
            return known.file
        }
        var opened: (file: LocalFileDescriptor, identity: LocalIdentity)?
        if Self.canProve(location), let path = try? LocalPath(location.path), let parent = try? root.openParent(of: path) {
            let result = String(path.name).withCString {
                LocalFileDescriptor.open($0, in: parent.raw, flags: O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
            }
            if case .success(let file) = result, let info = try? file.status(operation: "stat a copy source"),
                info.fileType == S_IFREG, location.identity.provesContent(of: FileMetadata(info))
            {
                opened = (file, location.identity)
            }
        }
        sources[location.path] = opened
        return opened?.file
    }
}
