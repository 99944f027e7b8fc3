import CoffreProtocol

/// Sends the blobs the server lacks (DESIGN §7: "only missing blobs are uploaded"): blobs of
/// synced files are known to be there and are not even asked about; the others are asked in
/// "missing" batches, and the missing ones go in batch uploads, several requests at a time.
///
/// Large chunks are batched too: the server makes a batch durable with one fsync pass and
/// records it in one transaction, where a `PUT` per blob costs a transaction (and its
/// fdatasync) each, one after the other — that wait, not the bytes, limited a large file's
/// upload. A server configured with a blob limit below a batch's size (413 `body_too_large`)
/// gets that batch again in halves, down to one `PUT` per blob.
struct BlobUploader: Sendable {
    /// Ids per "missing" question (the server takes up to 10,000).
    static let idsPerQuestion = 1_000
    /// Bytes and blobs per batch upload; a blob larger than the byte limit gets a request of
    /// its own. The server's default body limit for a batch (`storage.maxBlobBytes`) is 64 MiB
    /// and it takes up to 10,000 records (docs/protocol.md, "Batches"); 511 blobs let a group
    /// of small files (`LocalPublisher.smallFileGroup`: 256 to 511) travel in one request.
    static let batchByteLimit = 16 << 20
    static let batchCountLimit = 511

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

    /// Groups blobs into requests: batched by size and count, a blob beyond the byte limit alone.
    static func requests(for blobs: [BlobPayload]) -> [[BlobPayload]] {
        var requests: [[BlobPayload]] = []
        var batch: [BlobPayload] = []
        var batchBytes = 0
        for blob in blobs {
            guard blob.bytes.count <= batchByteLimit else {
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
                        try await Self.put(request, to: remote)
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

    /// One request: a batch, or a `PUT` for a lone blob beyond the batch limit. A batch the
    /// server finds too large (413) is sent again in two halves.
    static func put(_ request: [BlobPayload], to remote: any SyncRemote) async throws {
        if request.count == 1, request[0].bytes.count > batchByteLimit {
            try await remote.putBlob(request[0].id, bytes: request[0].bytes)
            return
        }
        do {
            try await remote.putBlobs(request)
        } catch let error as APIClientError where error.code == .bodyTooLarge {
            guard request.count > 1 else {
                try await remote.putBlob(request[0].id, bytes: request[0].bytes)
                return
            }
            let half = request.count / 2
            try await put(Array(request[..<half]), to: remote)
            try await put(Array(request[half...]), to: remote)
        }
    }
}
