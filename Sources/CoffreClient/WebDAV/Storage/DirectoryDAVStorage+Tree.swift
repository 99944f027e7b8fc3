import CSystemShims
import Glibc

/// Deleting, moving and copying whole trees in `DirectoryDAVStorage`; called with the commit
/// lock held.
extension DirectoryDAVStorage {
    /// Deepest folder nesting removed or copied.
    static let maximumTreeDepth = 256

    func deleteNow(_ path: DAVPath) throws(DAVError) {
        guard let parentPath = path.parent else { throw .forbidden("the root cannot be deleted") }
        guard let parent = try openDirectory(parentPath), let status = try Self.status(of: path.name, in: parent),
            !Self.isReserved(path)
        else { throw .notFound }
        try Self.remove(path.name, in: parent, isDirectory: status.st_mode & S_IFMT == S_IFDIR, depth: 0)
        try Self.removePropertyFile(path.name, in: parent)
    }

    /// Removes a file, or a folder with everything in it (side folders included). Names read
    /// back from disk are passed on as their raw bytes, never re-encoded.
    static func remove(_ name: UnsafePointer<CChar>, in parent: LocalFileDescriptor, isDirectory: Bool, depth: Int) throws(DAVError) {
        if isDirectory {
            guard depth < maximumTreeDepth else { throw .storage("folder tree too deep") }
            let folder: LocalFileDescriptor
            switch LocalFileDescriptor.openFolder(name, in: parent.raw) {
            case .success(let fd): folder = fd
            case .failure(let error): throw systemError("open folder", error.code)
            }
            let listing = try list(folder)
            for index in 0..<listing.count {
                do {
                    try listing.withName(at: index) { _, child in
                        var childIsDirectory = false
                        if case .success(let info) = folder.statusOfChild(child) { childIsDirectory = info.st_mode & S_IFMT == S_IFDIR }
                        try remove(child, in: folder, isDirectory: childIsDirectory, depth: depth + 1)
                    }
                } catch let error as DAVError {
                    throw error
                } catch {
                    throw .storage("remove failed")
                }
            }
        }
        let (result, code) = retryingOnInterrupt { unlinkat(parent.raw, name, isDirectory ? AT_REMOVEDIR : 0) }
        guard result == 0 else { throw code == ENOENT ? .notFound : systemError(isDirectory ? "rmdir" : "unlink", code) }
    }

    func transferNow(_ source: DAVPath, _ destination: DAVPath, overwrite: Bool, move: Bool, recursive: Bool) throws(DAVError) -> Bool {
        guard let sourceParentPath = source.parent, let destinationParentPath = destination.parent else {
            throw .forbidden("the root cannot be copied or moved onto")
        }
        guard !source.contains(destination), !destination.contains(source) else { throw .forbidden("source and destination overlap") }
        guard !Self.isReserved(destination) else { throw .forbidden("reserved name") }
        guard let sourceParent = try openDirectory(sourceParentPath), let sourceStatus = try Self.status(of: source.name, in: sourceParent),
            !Self.isReserved(source)
        else { throw .notFound }
        guard let destinationParent = try openDirectory(destinationParentPath) else { throw .conflict("parent collection missing") }
        var replaced = false
        if let existing = try Self.status(of: destination.name, in: destinationParent) {
            guard overwrite else { throw .alreadyExists }
            // RFC 4918 §9.8.4, §9.9.3: the destination is deleted first.
            try Self.remove(destination.name, in: destinationParent, isDirectory: existing.st_mode & S_IFMT == S_IFDIR, depth: 0)
            try Self.removePropertyFile(destination.name, in: destinationParent)
            replaced = true
        }
        let isDirectory = sourceStatus.st_mode & S_IFMT == S_IFDIR
        if move {
            let (result, code) = retryingOnInterrupt {
                coffre_rename_noreplace(sourceParent.raw, source.name, destinationParent.raw, destination.name)
            }
            guard result == 0 else { throw code == EEXIST ? .alreadyExists : Self.systemError("rename", code) }
            try Self.movePropertyFile(source.name, in: sourceParent, to: destination.name, in: destinationParent)
        } else {
            try Self.copy(source.name, in: sourceParent, to: destination.name, in: destinationParent, isDirectory: isDirectory, recursive: recursive, depth: 0)
        }
        return replaced
    }

    /// Copies a file or a folder (with its members when `recursive`) and the side files.
    static func copy(
        _ name: String, in sourceParent: LocalFileDescriptor, to newName: String, in destinationParent: LocalFileDescriptor,
        isDirectory: Bool, recursive: Bool, depth: Int
    ) throws(DAVError) {
        guard depth < maximumTreeDepth else { throw .storage("folder tree too deep") }
        if isDirectory {
            let (result, code) = retryingOnInterrupt { mkdirat(destinationParent.raw, newName, 0o755) }
            guard result == 0 else { throw code == EEXIST ? .alreadyExists : systemError("mkdir", code) }
            if recursive {
                guard case .success(let source) = LocalFileDescriptor.openFolder(name, in: sourceParent.raw),
                    case .success(let destination) = LocalFileDescriptor.openFolder(newName, in: destinationParent.raw)
                else { throw .storage("open folder for copy failed") }
                let listing = try list(source)
                for index in 0..<listing.count {
                    guard let child = listing.withName(at: index, { bytes, _ in String(validating: bytes, as: UTF8.self) }),
                        !child.hasPrefix(reservedPrefix), let status = try status(of: child, in: source)
                    else { continue }
                    try copy(child, in: source, to: child, in: destination, isDirectory: status.st_mode & S_IFMT == S_IFDIR, recursive: true, depth: depth + 1)
                }
            }
        } else {
            try copyFile(name, in: sourceParent, to: newName, in: destinationParent)
        }
        try copyPropertyFile(name, in: sourceParent, to: newName, in: destinationParent)
    }

    static func copyFile(_ name: String, in sourceParent: LocalFileDescriptor, to newName: String, in destinationParent: LocalFileDescriptor) throws(DAVError) {
        let source: LocalFileDescriptor
        let destination: LocalFileDescriptor
        switch LocalFileDescriptor.open(name, in: sourceParent.raw, flags: O_RDONLY | O_NOFOLLOW) {
        case .success(let fd): source = fd
        case .failure(let error): throw systemError("open file", error.code)
        }
        switch LocalFileDescriptor.open(newName, in: destinationParent.raw, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o644) {
        case .success(let fd): destination = fd
        case .failure(let error): throw error.code == EEXIST ? .alreadyExists : systemError("create file", error.code)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
        defer { buffer.deallocate() }
        do {
            while true {
                let count = try source.read(into: buffer, operation: "read")
                if count == 0 { break }
                try destination.writeAll(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), operation: "write")
            }
        } catch {
            throw .storage(error.description)
        }
    }
}
