import CoffreClient
import Foundation
import CoffreProtocol
import HTTPServer
import HTTPTypes
import Synchronization
import Testing

/// `SyncAPIClient.commit` and `changes` against a scripted server: what they send, the JSON
/// fallback, and clear errors for hostile binary pages.
@Suite struct SyncAPIClientBinaryTests {
    /// The commits the scripted server received: Content-Type and body of each.
    final class CommitLog: Sendable {
        let entries = Mutex<[(contentType: String?, body: [UInt8])]>([])
    }

    private static let vault = VaultID(high: 7, low: 7)

    /// Serves `answer` for every changes request and records each commit's Content-Type and body.
    private func withServer(
        answer: @escaping @Sendable () -> HTTPServerResponse,
        _ body: (SyncAPIClient, CommitLog) async throws -> Void
    ) async throws {
        let commits = CommitLog()
        var router = HTTPRouter()
        try router.add(.get, SyncPath.changesPattern) { _ in answer() }
        try router.add(.post, SyncPath.commitsPattern) { request in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            commits.entries.withLock { $0.append((request.headerFields[.contentType], bytes)) }
            var response = HTTPServerResponse(status: .ok, body: .bytes(Array(#"{"seq":1,"replayed":false}"#.utf8)))
            response.headerFields[.contentType] = "application/json"
            return response
        }
        try await ScriptedSyncServer.run(router) { client in try await body(client, commits) }
    }

    private static func response(_ bytes: [UInt8], contentType: String) -> HTTPServerResponse {
        var response = HTTPServerResponse(status: .ok, body: .bytes(bytes))
        response.headerFields[.contentType] = contentType
        return response
    }

    private static let page = ChangesPage(
        entries: [
            EntryState(
                entryId: EntryID(high: 1, low: 2), rev: 3, parentId: .root, kind: .file,
                nameTag: NameTag(bytes: [UInt8](repeating: 5, count: 32))!, deleted: false, record: Base64Bytes([1, 2, 3]))
        ], cursor: 3, hasMore: false)

    @Test func commitsTravelInBinary() async throws {
        try await withServer(answer: { Self.response(Self.page.binaryEncoded(), contentType: ChangesPage.binaryMediaType) }) {
            client, commits in
            let change = EntryChange(
                entryId: EntryID(high: 9, low: 9), baseRev: 0, parentId: .root, kind: .folder,
                nameTag: NameTag(bytes: [UInt8](repeating: 1, count: 32))!, record: Base64Bytes([4]))
            let request = CommitRequest(commitId: CommitID(high: 1, low: 1), changes: [change])
            #expect(try await client.commit(Self.vault, request) == .committed(CommitReceipt(seq: 1, replayed: false)))
            let sent = try #require(commits.entries.withLock { $0.first })
            #expect(sent.contentType == CommitRequest.binaryMediaType)
            #expect(try CommitRequest(binary: sent.body, limits: .client) == request)
            #expect(try await client.changes(Self.vault, since: 0) == Self.page)
        }
    }

    @Test func jsonPagesAreStillRead() async throws {
        let json = Array(try JSONEncoder().encode(Self.page))
        try await withServer(answer: { Self.response(json, contentType: "application/json; charset=utf-8") }) { client, _ in
            let page = try await client.changes(Self.vault, since: 0)
            #expect(page == Self.page)
        }
    }

    /// Empty, truncated, trailing bytes, an unknown version, a count far beyond the bytes.
    static let hostilePages: [[UInt8]] = [
        [], Array(page.binaryEncoded().dropLast()), page.binaryEncoded() + [0], [2] + page.binaryEncoded().dropFirst(),
        [1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x7F, 0xFF, 0xFF, 0xFF],
    ]

    @Test(arguments: hostilePages)
    func hostilePagesAreClearErrors(_ body: [UInt8]) async throws {
        try await withServer(answer: { Self.response(body, contentType: "Application/Vnd.Coffre.Changes") }) { client, _ in
            do {
                _ = try await client.changes(Self.vault, since: 0)
                Issue.record("a malformed binary page was accepted")
            } catch let error as APIClientError {
                guard case .badResponse(let status, let reason) = error else {
                    Issue.record("expected badResponse, got \(error)")
                    return
                }
                #expect(status == 200 && reason.hasPrefix("the changes page in the answer is malformed"))
            }
        }
    }
}
