/// Lists the namespaces of a `DiskBlobStore`: the directories in `blobs/` whose names are
/// valid namespaces. Anything else found there is skipped, not reported.
final class DiskNamespaceListing: BlobListing {
    private let stream: DirectoryStream

    init(blobsDirectory: FileDescriptor) throws(BlobStoreError) {
        stream = try DirectoryStream(blobsDirectory, operation: "list namespaces")
    }

    func next() throws(BlobStoreError) -> BlobNamespace? {
        while let entry = try stream.next(operation: "list namespaces") {
            guard let name = entry.name, let namespace = try? BlobNamespace(name),
                let status = try stream.directory.status(of: entry, operation: "stat a namespace"), status.isDirectory
            else { continue }
            return namespace
        }
        return nil
    }
}
