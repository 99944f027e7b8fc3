import CoffreProtocol

/// Uploads the blobs of one write that the server lacks: one "missing" question per group,
/// then the missing ones grouped as the sync engine's uploader groups them (small blobs in
/// batch uploads, large ones alone, `BlobUploader.requests(for:)`). The gateway keeps no blob
/// index, so it asks the server about every group.
struct VaultBlobSender: Sendable {
    let remote: any SyncRemote

    /// Sends whichever of `blobs` the server does not hold.
    func send(_ blobs: [BlobPayload]) async throws {
        var seen = Set<BlobID>()
        let unique = blobs.filter { seen.insert($0.id).inserted }
        guard !unique.isEmpty else { return }
        let missing: Set<BlobID>
        do {
            missing = Set(try await remote.missingBlobs(unique.map(\.id)))
        } catch {
            throw DAVError.storage("asking which blobs are missing failed")
        }
        for request in BlobUploader.requests(for: unique.filter { missing.contains($0.id) }) {
            do {
                if request.count == 1, request[0].bytes.count > BlobUploader.batchedBlobLimit {
                    try await remote.putBlob(request[0].id, bytes: request[0].bytes)
                } else {
                    try await remote.putBlobs(request)
                }
            } catch {
                throw VaultDAVStorage.remoteFailure(error, "uploading blobs failed")
            }
        }
    }
}
