import CSystemShims
import Dispatch
import Glibc
import HTTPServer
import Synchronization

/// The file-system side of `DirectoryDAVStorage`: blocking calls, run through
/// `HTTPBlockingWork`. Paths are walked from the root one directory at a time with
/// O_NOFOLLOW, so no symlink inside the tree is ever followed.
extension DirectoryDAVStorage {
    /// A write in progress: a temporary file beside its target.
    struct Upload: Sendable {
        let parent: LocalFileDescriptor
        let file: LocalFileDescriptor
        let temporaryName: String

        /// Removes the temporary file.
        func discard() {
            _ = retryingOnInterrupt { unlinkat(parent.raw, temporaryName, 0) }
        }
    }

    static func isReserved(_ path: DAVPath) -> Bool {
        path.names.contains { $0.hasPrefix(reservedPrefix) }
    }

    /// The directory at `path`, or nil when it is missing, not a directory, or a symlink.
    func openDirectory(_ path: DAVPath) throws(DAVError) -> LocalFileDescriptor? {
        guard !Self.isReserved(path) else { return nil }
        // The root descriptor itself stands for the root (it lives as long as the storage).
        var current = root
        for name in path.names {
            switch LocalFileDescriptor.openFolder(name, in: current.raw) {
            case .success(let fd): current = fd
            case .failure(let error) where [ENOENT, ENOTDIR, ELOOP].contains(error.code): return nil
            case .failure(let error): throw Self.systemError("open folder", error.code)
            }
        }
        return current
    }

    /// lstat of `name` in `directory`: nil when absent; only regular files and directories count.
    static func status(of name: String, in directory: LocalFileDescriptor) throws(DAVError) -> stat? {
        try status(ofC: name, in: directory)
    }

    /// `status(of:in:)` for a NUL-terminated name (as read from a listing).
    static func status(ofC name: UnsafePointer<CChar>, in directory: LocalFileDescriptor) throws(DAVError) -> stat? {
        switch directory.statusOfChild(name) {
        case .success(let info):
            let kind = info.st_mode & S_IFMT
            return kind == S_IFREG || kind == S_IFDIR ? info : nil
        case .failure(let error) where [ENOENT, ENOTDIR].contains(error.code): return nil
        case .failure(let error): throw systemError("stat", error.code)
        }
    }

    /// Inode, modification time (ns) and size: a new value after every content change (a
    /// write is a rename of a new file, so even a same-size rewrite in the same nanosecond has
    /// another inode).
    static func etag(_ info: stat) -> String {
        // Formatted by hand: this runs for every member of every listing.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 72) { buffer in
            var count = 0
            func hex(_ value: UInt64) {
                let digits: StaticString = "0123456789abcdef"
                var shift = max(0, (64 - value.leadingZeroBitCount + 3) / 4 * 4 - 4)
                digits.withUTF8Buffer { digits in
                    while true {
                        buffer[count] = digits[Int((value >> UInt64(shift)) & 0xF)]
                        count += 1
                        if shift == 0 { break }
                        shift -= 4
                    }
                }
            }
            hex(UInt64(info.st_ino))
            buffer[count] = UInt8(ascii: "-")
            count += 1
            hex(UInt64(bitPattern: Int64(info.st_mtim.tv_sec)))
            buffer[count] = UInt8(ascii: ".")
            count += 1
            hex(UInt64(bitPattern: Int64(info.st_mtim.tv_nsec)))
            buffer[count] = UInt8(ascii: "-")
            count += 1
            hex(UInt64(bitPattern: Int64(info.st_size)))
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<count]), as: UTF8.self)
        }
    }

    static func makeInfo(_ path: DAVPath, _ info: stat) -> DAVResourceInfo {
        let isCollection = info.st_mode & S_IFMT == S_IFDIR
        // Linux's stat has no birth time; the earlier of mtime and ctime stands in for it.
        return DAVResourceInfo(
            path: path, isCollection: isCollection, contentLength: isCollection ? 0 : Int64(info.st_size),
            contentType: isCollection ? nil : DAVContentType.forName(path.name), etag: etag(info),
            lastModified: Int64(info.st_mtim.tv_sec), creationDate: min(Int64(info.st_mtim.tv_sec), Int64(info.st_ctim.tv_sec)))
    }

    func infoNow(_ path: DAVPath, withProperties: Bool) throws(DAVError) -> DAVResourceInfo? {
        guard !Self.isReserved(path) else { return nil }
        var info: DAVResourceInfo
        if let parentPath = path.parent {
            guard let parent = try openDirectory(parentPath), let status = try Self.status(of: path.name, in: parent) else { return nil }
            info = Self.makeInfo(path, status)
            if withProperties { info.deadProperties = try readProperties(named: path.name, in: parent) }
        } else {
            let status: stat
            do { status = try root.status(operation: "stat root folder") } catch { throw .storage(error.description) }
            info = Self.makeInfo(path, status)
            if withProperties { info.deadProperties = try readProperties(named: Self.rootPropertiesName, in: root) }
        }
        return info
    }

    /// Listings at least this long are examined in two halves at once (one per core).
    static let parallelListingThreshold = 512

    func childrenNow(_ path: DAVPath, withProperties: Bool) throws(DAVError) -> [DAVResourceInfo] {
        guard let directory = try openDirectory(path) else {
            throw try infoNow(path, withProperties: false) == nil ? DAVError.notFound : .conflict("not a collection")
        }
        let listing = try Self.list(directory)
        var sideFolder: (LocalFileDescriptor, DirectoryListing)?
        if withProperties, case .success(let folder) = LocalFileDescriptor.openFolder(Self.propertiesFolder, in: directory.raw) {
            sideFolder = (folder, try Self.list(folder))
        }
        let propertyFolder = sideFolder?.0
        let propertyNames = withProperties ? sideFolder?.1 ?? DirectoryListing() : nil
        let parts = listing.count >= Self.parallelListingThreshold ? 2 : 1
        let slots = Mutex([Result<[DAVResourceInfo], DAVError>?](repeating: nil, count: parts))
        // One fstatat per member dominates a listing: the halves run on two threads. Each part
        // only reads the shared listing and descriptors and stores its result under `slots`.
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let range = (listing.count * part / parts)..<(listing.count * (part + 1) / parts)
            let result = Result { () throws(DAVError) in
                try Self.members(
                    of: path, listing: listing, range: range, directory: directory, propertyFolder: propertyFolder,
                    propertyNames: propertyNames)
            }
            slots.withLock { $0[part] = result }
        }
        var result: [DAVResourceInfo] = []
        result.reserveCapacity(listing.count)
        for slot in slots.withLock({ $0 }) { result += try slot!.get() }
        return result
    }

    /// The members named at `range` of `listing`; their dead properties when `propertyNames`
    /// (the side folder's listing) is given.
    static func members(
        of path: DAVPath, listing: DirectoryListing, range: Range<Int>, directory: LocalFileDescriptor,
        propertyFolder: LocalFileDescriptor?, propertyNames: DirectoryListing?
    ) throws(DAVError) -> [DAVResourceInfo] {
        var result: [DAVResourceInfo] = []
        result.reserveCapacity(range.count)
        for index in range {
            let entry: Result<(String, stat)?, DAVError> = listing.withName(at: index) { bytes, cName in
                // Names this server could not address (reserved, invalid, not NFC) are not listed.
                guard let name = String(validating: bytes, as: UTF8.self), !name.hasPrefix(reservedPrefix),
                    (try? DAVPath.validate(name: name)) != nil, NameEquivalence.isNFC(name)
                else { return .success(nil) }
                return Result { () throws(DAVError) in try status(ofC: cName, in: directory).map { (name, $0) } }
            }
            guard let (name, status) = try entry.get() else { continue }
            var info = makeInfo(path.appending(validated: name), status)
            if let propertyNames {
                info.deadProperties = [:]
                if let propertyFolder, propertyNames.contains(name) {
                    info.deadProperties = try readPropertyFile(name, in: propertyFolder)
                }
            }
            result.append(info)
        }
        return result
    }

    /// Every name of `directory` (sorted), `.` and `..` excluded.
    static func list(_ directory: LocalFileDescriptor) throws(DAVError) -> DirectoryListing {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 8)
        defer { buffer.deallocate() }
        switch DirectoryListing.read(directory, buffer: buffer, maximumEntries: maximumEntries) {
        case .success(let listing): return listing
        case .failure(.system(let code)): throw systemError("list folder", code)
        case .failure(.tooManyEntries): throw .insufficientStorage("folder has too many entries")
        case .failure(.malformed(let reason)): throw .storage("list folder: \(reason)")
        }
    }

    func readNow(_ path: DAVPath, range: ClosedRange<Int64>?) throws(DAVError) -> DAVContent {
        try openNow(path, range: range).content
    }

    /// The resource and its whole content from one open + fstat; a collection's content is empty.
    func readWithInfoNow(_ path: DAVPath) throws(DAVError) -> (info: DAVResourceInfo, content: DAVContent)? {
        do {
            let (status, content) = try openNow(path, range: nil)
            return (Self.makeInfo(path, status), content)
        } catch .notFound {
            return nil
        } catch .conflict {
            return try infoNow(path, withProperties: false).map { ($0, .bytes([])) }
        }
    }

    /// Opens the regular file at `path` (never through a symlink): its status and the region
    /// `range` of it (all of it when nil).
    func openNow(_ path: DAVPath, range: ClosedRange<Int64>?) throws(DAVError) -> (status: stat, content: DAVContent) {
        guard let parentPath = path.parent else { throw .conflict("a collection has no content") }
        guard let parent = try openDirectory(parentPath), !Self.isReserved(path) else { throw .notFound }
        let (fd, code) = retryingOnInterrupt { openat(parent.raw, path.name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        guard fd >= 0 else { throw [ENOENT, ELOOP, ENOTDIR].contains(code) ? .notFound : Self.systemError("open file", code) }
        let file = LocalFileDescriptor(adopting: fd)
        let status: stat
        do { status = try file.status(operation: "stat file") } catch { throw .storage(error.description) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw status.st_mode & S_IFMT == S_IFDIR ? .conflict("a collection has no content") : .notFound }
        // The region takes over a duplicate; `file` closes the original.
        let (copy, dupCode) = retryingOnInterrupt { fcntl(file.raw, F_DUPFD_CLOEXEC, 0) }
        guard copy >= 0 else { throw Self.systemError("dup", dupCode) }
        let size = Int64(status.st_size)
        let lower = min(max(0, range?.lowerBound ?? 0), size)
        let upper = min(range?.upperBound ?? (size - 1), size - 1)
        return (status, .file(HTTPFileRegion(takingDescriptor: copy, offset: lower, length: max(0, upper - lower + 1))))
    }

    func beginUpload(_ path: DAVPath, condition: DAVWriteCondition) throws(DAVError) -> Upload {
        guard let parentPath = path.parent, !Self.isReserved(path) else { throw .forbidden("reserved name") }
        guard let parent = try openDirectory(parentPath) else { throw .conflict("parent collection missing") }
        let current = try Self.status(of: path.name, in: parent)
        if let current, current.st_mode & S_IFMT == S_IFDIR { throw .conflict("a collection cannot be written") }
        guard condition.holds(currentETag: current.map(Self.etag)) else { throw .preconditionFailed }
        let serial = commitLock.withLock { counter in
            counter += 1
            return counter
        }
        let name = "\(Self.reservedPrefix)-upload-\(instanceTag)-\(serial)"
        switch LocalFileDescriptor.open(name, in: parent.raw, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o644) {
        case .success(let file): return Upload(parent: parent, file: file, temporaryName: name)
        case .failure(let error): throw Self.systemError("create temporary file", error.code)
        }
    }

    static func writeAll(_ bytes: [UInt8], to file: LocalFileDescriptor) throws(DAVError) {
        do {
            try bytes.withUnsafeBytes { buffer in try file.writeAll(buffer, operation: "write") }
        } catch let error as LocalFSError {
            throw .storage(error.description)
        } catch {
            throw .storage("write failed")
        }
    }

    /// Checks `condition` against the target as it is now and renames the upload over it, both
    /// under the commit lock; RENAME_NOREPLACE when nothing was there, so a writer from another
    /// process that created it meanwhile is not overwritten silently.
    func commitUpload(_ upload: Upload, path: DAVPath, condition: DAVWriteCondition) throws(DAVError) -> DAVWriteResult {
        let written: stat
        do { written = try upload.file.status(operation: "stat temporary file") } catch {
            upload.discard()
            throw .storage(error.description)
        }
        return try commitLock.withLock { _ throws(DAVError) in
            let current: stat?
            do throws(DAVError) { current = try Self.status(of: path.name, in: upload.parent) } catch {
                upload.discard()
                throw error
            }
            if let current, current.st_mode & S_IFMT == S_IFDIR {
                upload.discard()
                throw .conflict("a collection cannot be written")
            }
            guard condition.holds(currentETag: current.map(Self.etag)) else {
                upload.discard()
                throw .preconditionFailed
            }
            let (result, code) = retryingOnInterrupt {
                current == nil
                    ? coffre_rename_noreplace(upload.parent.raw, upload.temporaryName, upload.parent.raw, path.name)
                    : renameat(upload.parent.raw, upload.temporaryName, upload.parent.raw, path.name)
            }
            guard result == 0 else {
                upload.discard()
                throw code == EEXIST ? .preconditionFailed : Self.systemError("rename", code)
            }
            return DAVWriteResult(etag: Self.etag(written), created: current == nil)
        }
    }

    func makeCollectionNow(_ path: DAVPath) throws(DAVError) {
        guard let parentPath = path.parent, !Self.isReserved(path) else { throw .forbidden("reserved name") }
        guard let parent = try openDirectory(parentPath) else { throw .conflict("parent collection missing") }
        let (result, code) = retryingOnInterrupt { mkdirat(parent.raw, path.name, 0o755) }
        guard result == 0 else { throw code == EEXIST ? .alreadyExists : Self.systemError("mkdir", code) }
    }
}
