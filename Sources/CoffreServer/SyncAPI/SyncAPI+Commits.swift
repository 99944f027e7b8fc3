import CoffreProtocol
import Foundation
import HTTPServer
import HTTPTypes

extension SyncAPI {
    /// Commits, the changes feed, history and trash.
    var commitRoutes: [Route] {
        let store = store
        let blobs = blobs
        let authenticator = authenticator
        let maxJSON = maxJSONBodyBytes
        return [
            Route(.post, SyncPath.commitsPattern) { request in
                let session = try await authenticator.device(for: request, requiring: .sync)
                let vault = try request.vaultID()
                let outcome: CommitOutcome
                if request.bodyIs(CommitWithBlobs.mediaType) {
                    let carried = try await request.decodeCommitWithBlobs(maxBytes: maxJSON, limits: store.limits)
                    // The blobs are recorded in the commit's own transaction, after their bytes
                    // are durable (blobs before metadata, DESIGN §5).
                    outcome = try await blobs.commit(carried.commit, carrying: carried.blobRecords, into: vault, user: session.userID)
                } else if request.bodyIs(CommitRequest.binaryMediaType) {
                    let commit = try await request.decodeBinaryCommit(maxBytes: maxJSON, limits: store.limits)
                    outcome = try await store.commit(vault, user: session.userID, commit)
                } else {
                    let commit = try await request.decodeJSON(CommitRequest.self, maxBytes: maxJSON)
                    outcome = try await store.commit(vault, user: session.userID, commit)
                }
                switch outcome {
                case .committed(let receipt):
                    return .json(encoded: receipt.jsonBytes)
                case .rejected(let rejection):
                    // RFC 9110 §15.5.10: 409, the request conflicts with the current state.
                    return try await Self.largeJSON(CommitRejectionBody(rejection), status: .conflict)
                }
            },
            Route(.get, SyncPath.changesPattern) { request in
                let session = try await authenticator.reader(for: request)
                let vault = try request.vaultID()
                let query = try request.queryParameters(allowed: ["since", "limit", "wait"])
                let since = try query.integer("since") ?? 0
                let limit = try query.integer("limit", in: 1...Int64(Int32.max)).map(Int.init) ?? store.limits.maxFeedPageEntries
                let maxWait = Int64(store.limits.maxWaitSeconds)
                let wait = try query.integer("wait", in: 0...maxWait).map { Duration.seconds($0) }
                let page = try await store.changes(vault, user: session.userID, since: since, limit: limit, wait: wait)
                return try await Self.feedResponse(page, binary: request.accepts(ChangesPage.binaryMediaType))
            },
            Route(.get, SyncPath.revisionsPattern) { request in
                let session = try await authenticator.reader(for: request)
                let vault = try request.vaultID()
                let entry = try request.entryID()
                let query = try request.queryParameters(allowed: ["before", "limit"])
                let list = try await store.revisions(
                    vault, user: session.userID, entry: entry, before: try query.integer("before", in: 1...Int64.max),
                    limit: try query.integer("limit", in: 1...Int64(Int32.max)).map(Int.init) ?? store.limits.maxHistoryPageEntries)
                return try await Self.largeJSON(list)
            },
            Route(.get, SyncPath.trashPattern) { request in
                let session = try await authenticator.reader(for: request)
                let vault = try request.vaultID()
                let query = try request.queryParameters(allowed: ["before", "limit"])
                let page = try await store.trash(
                    vault, user: session.userID, before: try query.integer("before", in: 1...Int64.max),
                    limit: try query.integer("limit", in: 1...Int64(Int32.max)).map(Int.init) ?? store.limits.maxHistoryPageEntries)
                return try await Self.largeJSON(page)
            },
        ]
    }

    /// A changes page as JSON, or in its binary form when the client asked for it; a page with
    /// entries is encoded on the blocking-work queue (it holds up to several megabytes of
    /// records). Either way the answer varies with Accept (RFC 9110 §12.5.5).
    static func feedResponse(_ page: ChangesPage, binary: Bool) async throws -> HTTPServerResponse {
        var response: HTTPServerResponse
        if binary {
            let encode: @Sendable () -> [UInt8] = { page.binaryEncoded() }
            let bytes = page.entries.isEmpty ? encode() : try await HTTPBlockingWork.run(encode)
            response = HTTPServerResponse(status: .ok, body: .bytes(bytes))
            response.headerFields[.contentType] = ChangesPage.binaryMediaType
        } else {
            response = page.entries.isEmpty ? try .json(page) : try await largeJSON(page)
        }
        response.headerFields[.vary] = "Accept"
        return response
    }

    /// A JSON answer encoded off the event loop.
    static func largeJSON<Value: Encodable & Sendable>(
        _ value: Value, status: HTTPResponse.Status = .ok
    ) async throws -> HTTPServerResponse {
        try await HTTPBlockingWork.run { try HTTPServerResponse.json(value, status: status) }
    }
}
