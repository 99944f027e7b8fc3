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

    /// Sends a commit in its binary encoding (`CommitRequest+Binary`, docs/protocol.md,
    /// "Binary encodings"). A 409 with conflicts is a result, not an error.
    public func commit(_ vault: VaultID, _ request: CommitRequest) async throws(APIClientError) -> CommitResult {
        try await commit(vault, body: request.binaryEncoded(), contentType: CommitRequest.binaryMediaType)
    }

    /// Sends a commit with the small blobs it references in the same request
    /// (`CommitWithBlobs`, docs/protocol.md, "Commit with blobs"): coffred stores them durably
    /// before the commit's transaction, so a small file costs one round trip. A blob refused
    /// (hash, quota, limits) fails the call and nothing is committed.
    public func commit(
        _ vault: VaultID, _ request: CommitRequest, carrying blobs: [(id: BlobID, bytes: [UInt8])]
    ) async throws(APIClientError) -> CommitResult {
        try await commit(vault, body: CommitWithBlobs.encode(request, blobs: blobs), contentType: CommitWithBlobs.mediaType)
    }

    private func commit(_ vault: VaultID, body: [UInt8], contentType: String) async throws(APIClientError) -> CommitResult {
        let outgoing = self.request(.post, SyncPath.commits(vault), body: .bytes(body), contentType: contentType)
        let answer = try await read(try await send(outgoing))
        guard answer.status == 200 || answer.status == 409 else { throw CoffreAPI.refusal(answer) }
        if answer.status == 200 {
            // coffred's own compact text is read directly; anything else goes through the decoder.
            if let receipt = CommitReceipt(compactJSON: answer.body) { return .committed(receipt) }
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
    /// for a commit when there is nothing new (long-poll). Asks for the binary encoding
    /// (`ChangesPage+Binary`) and reads JSON too, should the server answer that.
    public func changes(
        _ vault: VaultID, since: Int64, limit: Int? = nil, waitSeconds: Int? = nil
    ) async throws(APIClientError) -> ChangesPage {
        var outgoing = request(.get, SyncPath.changes(vault, since: since, limit: limit, waitSeconds: waitSeconds))
        outgoing.headerFields[.accept] = ChangesPage.binaryMediaType + ", application/json;q=0.5"
        // The server answers a long poll after at most `waitSeconds`: allow that plus a margin.
        outgoing.readIdleTimeout = waitSeconds.map { Duration.seconds($0 + 30) }
        let answer = try await read(try await send(outgoing))
        guard answer.status == 200 else { throw CoffreAPI.refusal(answer) }
        // RFC 9110 §8.3.1: the media type before any parameter, case-insensitive.
        let mediaType = answer.headerField("Content-Type")?.split(separator: ";").first.map {
            $0.filter { $0 != " " && $0 != "\t" }.lowercased()
        }
        guard mediaType == ChangesPage.binaryMediaType else {
            return try Self.decode(ChangesPage.self, from: answer.body, status: 200)
        }
        do {
            return try ChangesPage(binary: answer.body)
        } catch {
            throw .badResponse(status: 200, reason: "the changes page in the answer is malformed (\(error))")
        }
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
