import CoffreProtocol

/// Lists the blobs of one namespace of a `DiskBlobStore` by walking its two fan-out levels
/// with one open directory stream per level, so memory stays constant however many blobs
/// there are.
///
/// Only regular files whose name is a blob id and whose fan-out directories match that id are
/// listed, since `info` and `open` find nothing else; other entries are skipped. A blob
/// deleted between readdir and stat is skipped too.
final class DiskBlobListing: BlobListing {
    private let top: DirectoryStream?
    private var middle: (prefix: String, stream: DirectoryStream)?
    private var bottom: (prefix: String, stream: DirectoryStream)?

    init(blobsDirectory: FileDescriptor, namespace: BlobNamespace) throws(BlobStoreError) {
        if let directory = try blobsDirectory.openDirectory(namespace.rawValue, operation: "open a namespace") {
            top = try DirectoryStream(directory, operation: "list a namespace")
        } else {
            top = nil
        }
    }

    func next() throws(BlobStoreError) -> BlobInfo? {
        guard let top else { return nil }
        while true {
            if let bottom {
                if let entry = try bottom.stream.next(operation: "list blobs") {
                    if let info = try Self.blob(entry, prefix: bottom.prefix, in: bottom.stream.directory) { return info }
                    continue
                }
                self.bottom = nil
            }
            if let middle {
                if let entry = try middle.stream.next(operation: "list blobs") {
                    if let (name, stream) = try Self.fanOut(entry, in: middle.stream.directory) {
                        bottom = (middle.prefix + name, stream)
                    }
                    continue
                }
                self.middle = nil
            }
            guard let entry = try top.next(operation: "list blobs") else { return nil }
            if let (name, stream) = try Self.fanOut(entry, in: top.directory) {
                middle = (name, stream)
            }
        }
    }

    /// Opens `entry` when it is a fan-out directory: two lowercase hexadecimal characters.
    private static func fanOut(_ entry: DirectoryEntry, in parent: FileDescriptor) throws(BlobStoreError) -> (String, DirectoryStream)? {
        guard let name = entry.name, name.utf8.count == 2,
            name.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }),
            let status = try parent.status(of: entry, operation: "stat a blob directory"), status.isDirectory,
            let directory = try parent.openDirectory(entry, operation: "open a blob directory")
        else { return nil }
        return (name, try DirectoryStream(directory, operation: "list blobs"))
    }

    /// The blob `entry` names, when it is one that belongs in a directory of `prefix`.
    private static func blob(_ entry: DirectoryEntry, prefix: String, in directory: FileDescriptor) throws(BlobStoreError) -> BlobInfo? {
        guard let name = entry.name, let id = BlobID(hex: name), name.hasPrefix(prefix),
            let status = try directory.status(of: entry, operation: "stat a blob"), status.isRegularFile
        else { return nil }
        return BlobInfo(id: id, size: Int64(status.st_size), created: status.modificationDate)
    }
}
