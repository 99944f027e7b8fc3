@testable import CoffreServer
import CoffreClient
import CoffreProtocol
import Foundation
import HTTPServer
import HTTPTypes
import Testing

/// The commit and changes routes answering both encodings (docs/protocol.md, "Binary
/// encodings"), negotiated per request, and refusing hostile binary bodies with clear 400s.
@Suite struct SyncAPIBinaryEncodingTests {
    private struct Answer {
        let status: Int
        let contentType: String?
        let vary: String?
        let body: [UInt8]

        var errorCode: String? {
            (try? JSONDecoder().decode(ErrorBody.self, from: Data(body)))?.error.rawValue
        }
    }

    private func exchange(
        _ harness: SyncServerHarness, token: String, _ method: HTTPRequest.Method, _ target: String,
        contentType: String? = nil, accept: String? = nil, body: [UInt8]? = nil
    ) async throws -> Answer {
        var fields = HTTPFields()
        fields[.authorization] = "Bearer " + token
        if let contentType { fields[.contentType] = contentType }
        if let accept { fields[.accept] = accept }
        let request = try HTTPClientRequest(
            method: method, url: harness.app.baseURL + target, headerFields: fields, body: body.map { .bytes($0) } ?? .none)
        let response = try await harness.http.execute(request)
        return Answer(
            status: response.status.code, contentType: response.headerFields[.contentType], vary: response.headerFields[.vary],
            body: try await response.body.collect(upTo: 1 << 20))
    }

    @Test func bothEncodingsCommitAndReadTheSameFeed() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let folder = EntryChange(
                entryId: SyncSamples.entryID(), baseRev: 0, parentId: .root, kind: .folder, nameTag: SyncSamples.tag(),
                record: Base64Bytes([1, 2, 3]))
            let binary = CommitRequest(commitId: CommitID(high: 1, low: 2), changes: [folder, SyncSamples.newFile(in: folder.entryId)])
            let committed = try await exchange(
                harness, token: alice.token, .post, SyncPath.commits(vault), contentType: "Application/VND.coffre.commit; v=1",
                body: binary.binaryEncoded())
            #expect(committed.status == 200)
            #expect(try JSONDecoder().decode(CommitReceipt.self, from: Data(committed.body)) == CommitReceipt(seq: 1, replayed: false))
            let json = CommitRequest(changes: [SyncSamples.newFile()])
            let jsonCommitted = try await exchange(
                harness, token: alice.token, .post, SyncPath.commits(vault), contentType: "application/json",
                body: Array(try JSONEncoder().encode(json)))
            #expect(jsonCommitted.status == 200)

            let target = SyncPath.changes(vault, since: 0, limit: nil, waitSeconds: nil)
            let jsonPage = try await exchange(harness, token: alice.token, .get, target)
            #expect(jsonPage.contentType?.hasPrefix("application/json") == true && jsonPage.vary == "Accept")
            let fromJSON = try JSONDecoder().decode(ChangesPage.self, from: Data(jsonPage.body))
            let binaryPage = try await exchange(
                harness, token: alice.token, .get, target, accept: "application/json;q=0.5, application/vnd.coffre.changes")
            #expect(binaryPage.status == 200)
            #expect(binaryPage.contentType == ChangesPage.binaryMediaType && binaryPage.vary == "Accept")
            let fromBinary = try ChangesPage(binary: binaryPage.body)
            #expect(fromBinary == fromJSON)
            #expect(fromBinary.entries.count == 3 && fromBinary.cursor == 2)
            let folderState = try #require(fromBinary.entries.first { $0.entryId == folder.entryId })
            #expect(folderState.record == folder.record && folderState.kind == .folder && folderState.rev == 1)
            // The typed client asks for the binary form and gets the same page.
            #expect(try await alice.client.changes(vault, since: 0) == fromJSON)

            // q=0 declines the binary form; a wildcard does not select it.
            for accept in ["application/vnd.coffre.changes;q=0", "application/vnd.coffre.changes; q=0.000", "*/*"] {
                let declined = try await exchange(harness, token: alice.token, .get, target, accept: accept)
                #expect(declined.contentType?.hasPrefix("application/json") == true, "\(accept)")
            }
            // An empty page in binary too.
            let empty = try await exchange(
                harness, token: alice.token, .get, SyncPath.changes(vault, since: 2, limit: nil, waitSeconds: nil),
                accept: ChangesPage.binaryMediaType)
            #expect(try ChangesPage(binary: empty.body) == ChangesPage(entries: [], cursor: 2, hasMore: false))
        }
    }

    @Test func hostileBinaryCommitsAreClear400s() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let good = CommitRequest(changes: [SyncSamples.newFile()]).binaryEncoded()
            let cases: [([UInt8], String)] = [
                ([], "malformed_binary"),
                (Array(good.dropLast()), "malformed_binary"),
                (good + [0], "malformed_binary"),
                ([9] + good.dropFirst(), "malformed_binary"),
                (Array(#"{"changes":[]}"#.utf8), "malformed_binary"),
                ([1, 0, 0xFF, 0xFF, 0xFF, 0xFF], "invalid_request"),  // over the 10,000-change limit
                ([1, 0, 0, 0, 0x27, 0x10], "malformed_binary"),  // 10,000 changes announced, none there
            ]
            for (body, code) in cases {
                let answer = try await exchange(
                    harness, token: alice.token, .post, SyncPath.commits(vault), contentType: CommitRequest.binaryMediaType, body: body)
                #expect(answer.status == 400 && answer.errorCode == code, "\(body.prefix(8)) → \(answer.status) \(answer.errorCode ?? "-")")
            }
            // A record over the server's record limit: the store's own answer.
            var large = SyncSamples.newFile()
            large.record = Base64Bytes([UInt8](repeating: 1, count: 16 * 1024 + 1))
            let answer = try await exchange(
                harness, token: alice.token, .post, SyncPath.commits(vault), contentType: CommitRequest.binaryMediaType,
                body: CommitRequest(changes: [large]).binaryEncoded())
            #expect(answer.status == 400 && answer.errorCode == "invalid_request")
            // Nothing landed.
            #expect(try await alice.client.changes(vault, since: 0).entries.isEmpty)
        }
    }
}
