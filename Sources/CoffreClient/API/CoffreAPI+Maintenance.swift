import CoffreProtocol
import Foundation

/// The admin maintenance routes (docs/protocol.md, "Maintenance"): garbage collection, fsck and
/// backup. They answer when the work is done, which can take minutes on a large store, so they
/// let the connection stay silent for up to `maintenanceTimeout`.
extension CoffreAPI {
    /// How long a maintenance call may wait for its answer.
    public static let maintenanceTimeout = Duration.seconds(6 * 3600)

    /// `POST /v1/admin/gc`: deletes unreferenced blobs past the grace period and unrecorded
    /// files, or with `dryRun` only reports them.
    public func collectGarbage(dryRun: Bool) async throws(APIClientError) -> GarbageCollectionReport {
        try await maintenance(SyncPath.adminGC, GarbageCollectionRequest(dryRun: dryRun))
    }

    /// `POST /v1/admin/fsck`: checks every blob's size (and hash) and every reference.
    public func checkStore(verifyHashes: Bool = true) async throws(APIClientError) -> FsckReport {
        try await maintenance(SyncPath.adminFsck, FsckRequest(verifyHashes: verifyHashes))
    }

    /// `POST /v1/admin/backup`: a consistent copy of the server's data into `destination`, a
    /// directory on the server's machine.
    public func backup(to destination: String) async throws(APIClientError) -> BackupReport {
        try await maintenance(SyncPath.adminBackup, BackupRequest(destination: destination))
    }

    private func maintenance<Answer: Decodable>(_ target: String, _ body: some Encodable) async throws(APIClientError) -> Answer {
        var request: APIRequest
        do {
            request = APIRequest(method: .post, target: target, bearerToken: token, jsonBody: Array(try JSONEncoder().encode(body)))
        } catch {
            throw .badResponse(status: 0, reason: "the request could not be encoded")
        }
        request.readIdleTimeout = Self.maintenanceTimeout
        let response = try await transport.send(request)
        guard response.status == 200 else { throw Self.refusal(response) }
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(response.body))
        } catch {
            throw .badResponse(status: 200, reason: "the \(Answer.self) in the answer is malformed (\(Self.decodingProblem(error)))")
        }
    }
}
