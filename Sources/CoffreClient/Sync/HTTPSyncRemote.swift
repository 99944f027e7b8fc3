import CoffreProtocol

/// The sync engine's `SyncRemote` over coffred's HTTP sync routes (`SyncAPIClient`), for one
/// vault. Protocol answers (a 409 commit conflict, a 410 feed cursor) become values; every
/// other failure is thrown as the API layer's `APIClientError`, whose text holds no secret.
public struct HTTPSyncRemote: SyncRemote {
    /// The typed HTTP client, with the device token.
    public let client: SyncAPIClient
    public let vaultID: VaultID

    /// The remote of `vaultID` reached through `client`.
    public init(client: SyncAPIClient, vaultID: VaultID) {
        self.client = client
        self.vaultID = vaultID
    }

    public func vaultState() async throws -> VaultSummary {
        guard let summary = try await client.vaults().vaults.first(where: { $0.vaultId == vaultID }) else {
            // The vault is gone or the user is no longer a member: the server answers the
            // vault's own routes with 404 too.
            throw APIClientError.server(status: 404, code: .notFound, message: "no such vault", retryAfterSeconds: nil)
        }
        return summary
    }

    public func vaultKeys() async throws -> [WrappedVaultKey] {
        try await client.vaultKeys(vaultID).keys
    }

    public func missingBlobs(_ ids: [BlobID]) async throws -> [BlobID] {
        try await client.missingBlobs(vaultID, ids)
    }

    public func putBlob(_ id: BlobID, bytes: [UInt8]) async throws {
        try await client.putBlob(vaultID, id, bytes: bytes)
    }

    public func putBlobs(_ blobs: [BlobPayload]) async throws {
        let result = try await client.uploadBatch(vaultID, blobs.map { (id: $0.id, bytes: $0.bytes) })
        // Every blob must be accounted for: a batch answer that skips one, or refuses one's
        // bytes, means the commit that references it would be refused later.
        let outcomes = Dictionary(result.results.map { ($0.id, $0.outcome) }, uniquingKeysWith: { first, _ in first })
        for blob in blobs {
            switch outcomes[blob.id] {
            case .stored, .alreadyStored: continue
            case .hashMismatch:
                throw APIClientError.badResponse(status: 200, reason: "the server found a batch blob's bytes not matching its id")
            case nil:
                throw APIClientError.badResponse(status: 200, reason: "the batch answer leaves out a blob that was sent")
            }
        }
    }

    public func getBlob(_ id: BlobID, into buffer: inout BlobFetchBuffer) async throws {
        // The caller verifies what arrived (the blob id is its SHA-256, the chunk key's HMAC
        // its plaintext).
        try await client.blob(vaultID, id, into: &buffer)
    }

    /// `POST …/blob-fetch` requests of at most `BlobFetchRequest.maxIDs` ids, each asking again
    /// for what the last answer left out (the server's byte cap).
    public func getBlobs(_ requests: [BlobFetch]) async throws -> [Result<[UInt8], any Error>] {
        var outcomes: [Result<[UInt8], any Error>] = []
        outcomes.reserveCapacity(requests.count)
        while outcomes.count < requests.count {
            let batch = requests[outcomes.count...].prefix(BlobFetchRequest.maxIDs)
            // At least one blob per answer (`BlobFetchAnswer.finish`), so this ends.
            for blob in try await client.fetchBlobs(vaultID, batch.map(\.id), capacities: batch.map(\.capacity)) {
                switch blob {
                case .bytes(let bytes):
                    outcomes.append(.success(bytes))
                case .absent:
                    // What the single GET answers for a blob the vault does not hold.
                    outcomes.append(.failure(APIClientError.server(status: 404, code: .notFound, message: "blob", retryAfterSeconds: nil)))
                case .tooLarge(let limit):
                    outcomes.append(.failure(PipelineError.blobTooLarge(index: 0, limit: limit)))
                }
            }
        }
        return outcomes
    }

    public func commit(_ request: CommitRequest) async throws -> RemoteCommitOutcome {
        Self.outcome(try await client.commit(vaultID, request))
    }

    /// One request (`CommitWithBlobs`): coffred stores the blobs before the commit's transaction.
    public func commit(_ request: CommitRequest, carrying blobs: [BlobPayload]) async throws -> RemoteCommitOutcome {
        guard !blobs.isEmpty else { return try await commit(request) }
        return Self.outcome(try await client.commit(vaultID, request, carrying: blobs.map { (id: $0.id, bytes: $0.bytes) }))
    }

    private static func outcome(_ result: SyncAPIClient.CommitResult) -> RemoteCommitOutcome {
        switch result {
        case .committed(let receipt): .committed(receipt)
        case .rejected(let rejection): .rejected(rejection)
        }
    }

    public func changes(since: Int64, limit: Int, wait: Duration?) async throws -> RemoteChanges {
        let waitSeconds = wait.map { max(0, Int($0.components.seconds)) }
        let result: Result<ChangesPage, APIClientError>
        do {
            result = .success(try await client.changes(vaultID, since: since, limit: limit, waitSeconds: waitSeconds))
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let page): return .page(page)
        case .failure(let error) where error.code == .cursorGone: return .cursorGone
        case .failure(let error): throw error
        }
    }

    public func revisions(of entry: EntryID, before: Int64?, limit: Int) async throws -> RevisionList {
        try await client.revisions(vaultID, entry: entry, before: before, limit: limit)
    }

    public func trash(before: Int64?, limit: Int) async throws -> TrashPage {
        try await client.trash(vaultID, before: before, limit: limit)
    }
}
