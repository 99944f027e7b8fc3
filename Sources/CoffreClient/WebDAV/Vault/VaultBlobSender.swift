import CoffreProtocol

/// Uploads the blobs of one write that the server lacks: one "missing" question per group,
/// then the missing ones grouped as the sync engine's uploader groups them (small blobs in
/// batch uploads, large ones alone, `BlobUploader.requests(for:)`), several requests at a
/// time. The gateway keeps no blob index, so it asks the server about every group.
struct VaultBlobSender: Sendable {
    /// Upload requests in flight at once (the server makes each blob durable before answering).
    static let concurrency = 4

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
        let remote = remote
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for request in BlobUploader.requests(for: unique.filter { missing.contains($0.id) }) {
                if inFlight == Self.concurrency {
                    try await group.next()
                    inFlight -= 1
                }
                group.addTask {
                    do {
                        try await BlobUploader.put(request, to: remote)
                    } catch {
                        throw VaultDAVStorage.remoteFailure(error, "uploading blobs failed")
                    }
                }
                inFlight += 1
            }
            try await group.waitForAll()
        }
    }
}
