import CoffreProtocol

/// Commits, the changes feed, history and trash.
extension SyncAPIClient {
    /// What a commit did.
    public enum CommitResult: Sendable, Equatable {
        /// It landed (or had landed: a retry of the same commit id).
        case committed(CommitReceipt)
        /// Nothing changed; every conflict is listed (409).
        case rejected(CommitRejection)
    }

    /// Sends a commit. A 409 with conflicts is a result, not an error.
    public func commit(_ vault: VaultID, _ request: CommitRequest) async throws(APIClientError) -> CommitResult {
        let answer = try await exchange(.post, SyncPath.commits(vault), json: request, expecting: [200, 409], readTimeout: nil)
        if answer.status == 200 {
            return .committed(try Self.decode(CommitReceipt.self, from: answer.body, status: 200))
        }
        guard let body = try? Self.decode(CommitRejectionBody.self, from: answer.body, status: 409),
            body.error == .commitConflict
        else {
            // Another 409 (a reused commit id, say) is a refusal like any other.
            throw CoffreAPI.refusal(answer)
        }
        return .rejected(body.rejection)
    }

    /// One page of the changes feed after `since`; with `waitSeconds`, waits up to that long
    /// for a commit when there is nothing new (long-poll).
    public func changes(
        _ vault: VaultID, since: Int64, limit: Int? = nil, waitSeconds: Int? = nil
    ) async throws(APIClientError) -> ChangesPage {
        // The server answers a long poll after at most `waitSeconds`: allow that plus a margin.
        let timeout = waitSeconds.map { Duration.seconds($0 + 30) }
        return try await call(
            .get, SyncPath.changes(vault, since: since, limit: limit, waitSeconds: waitSeconds), readTimeout: timeout)
    }

    /// A page of an entry's retained revisions, newest first.
    public func revisions(
        _ vault: VaultID, entry: EntryID, before: Int64? = nil, limit: Int? = nil
    ) async throws(APIClientError) -> RevisionList {
        try await call(.get, SyncPath.revisions(vault, entry, before: before, limit: limit))
    }

    /// A page of the trash, most recently deleted first.
    public func trash(_ vault: VaultID, before: Int64? = nil, limit: Int? = nil) async throws(APIClientError) -> TrashPage {
        try await call(.get, SyncPath.trash(vault, before: before, limit: limit))
    }
}
