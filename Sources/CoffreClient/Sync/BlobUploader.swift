import CoffreProtocol

/// Sends the blobs the server lacks (DESIGN §7: "only missing blobs are uploaded"): blobs of
/// synced files are known to be there and are not even asked about; the others are asked in
/// "missing" batches, and the missing ones go in batch uploads when small, one request each
/// when large, several requests at a time.
struct BlobUploader: Sendable {
    /// Ids per "missing" question (the server takes up to 10,000).
    static let idsPerQuestion = 1_000
    /// Largest blob sent in a batch upload; larger ones get a request of their own.
    static let batchedBlobLimit = 512 * 1024
    /// Bytes and blobs per batch upload.
    static let batchByteLimit = 4 << 20
    static let batchCountLimit = 256

    let remote: any SyncRemote
    let index: SyncIndex
    let counters: TransferCounters
    /// Upload requests in flight at once.
    let concurrency: Int

    /// Uploads whichever of `blobs` the server does not hold.
    func upload(_ blobs: [BlobPayload]) async throws {
        var seen = Set<BlobID>()
        let unique = blobs.filter { seen.insert($0.id).inserted }
        guard !unique.isEmpty else { return }
        let known = try await index.knownBlobs(unique.map(\.id))
        let candidates = unique.filter { !known.contains($0.id) }
        var missing = Set<BlobID>()
        var start = 0
        while start < candidates.count {
            let slice = candidates[start..<min(start + Self.idsPerQuestion, candidates.count)]
            do {
                missing.formUnion(try await remote.missingBlobs(slice.map(\.id)))
            } catch {
                throw SyncClientError.remote(operation: "ask which blobs are missing", underlying: error)
            }
            start += Self.idsPerQuestion
        }
        try await send(Self.requests(for: candidates.filter { missing.contains($0.id) }))
    }

    /// Groups blobs into requests: small ones batched by size and count, large ones alone.
    static func requests(for blobs: [BlobPayload]) -> [[BlobPayload]] {
        var requests: [[BlobPayload]] = []
        var batch: [BlobPayload] = []
        var batchBytes = 0
        for blob in blobs {
            guard blob.bytes.count <= batchedBlobLimit else {
                requests.append([blob])
                continue
            }
            if batch.count == batchCountLimit || batchBytes + blob.bytes.count > batchByteLimit {
                requests.append(batch)
                batch = []
                batchBytes = 0
            }
            batch.append(blob)
            batchBytes += blob.bytes.count
        }
        if !batch.isEmpty { requests.append(batch) }
        return requests
    }

    /// Sends the requests, at most `concurrency` at once.
    private func send(_ requests: [[BlobPayload]]) async throws {
        let remote = remote
        let counters = counters
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for request in requests {
                if inFlight == max(1, concurrency) {
                    try await group.next()
                    inFlight -= 1
                }
                group.addTask {
                    do {
                        if request.count == 1, request[0].bytes.count > Self.batchedBlobLimit {
                            try await remote.putBlob(request[0].id, bytes: request[0].bytes)
                        } else {
                            try await remote.putBlobs(request)
                        }
                    } catch {
                        throw SyncClientError.remote(operation: "upload blobs", underlying: error)
                    }
                    counters.addSent(request.reduce(0) { $0 + $1.bytes.count })
                }
                inFlight += 1
            }
            try await group.waitForAll()
        }
    }
}
