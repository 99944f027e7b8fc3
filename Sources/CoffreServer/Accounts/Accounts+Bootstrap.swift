import CoffreProtocol
import Dispatch
import SQLiteStore

extension Accounts {
    /// `server_counters` row set once the first admin token exists.
    static let firstAdminTokenCounter = "first_admin_token_issued"

    /// On the server's first start, creates the first admin token, writes it to
    /// `DATA/admin.token` (mode 0600) and logs that it did, with the file's path but never the
    /// token. Does nothing on later starts, even if every admin token has since been revoked.
    /// Returns the file's path when it created one.
    ///
    /// Throws `BlobStoreError` when the file cannot be written, `APIError` when the database fails.
    public func createFirstAdminTokenIfNeeded(dataDirectory: DataDirectory) async throws -> String? {
        let issued = try await store.read("check first admin token") { db in
            try db.fetchValue("SELECT value FROM server_counters WHERE name = ?", [Self.firstAdminTokenCounter], as: Int64.self)
        }
        guard issued == nil else { return nil }
        let token: String
        let hash: [UInt8]
        do {
            token = try SecretToken.generate(.admin)
            hash = try SecretToken.hash(token)
        } catch {
            throw store.mapped(error, "generate the first admin token")
        }
        let directory = dataDirectory.path
        // The file is written and fsynced on a Dispatch thread, not on a Swift concurrency one.
        let path = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { () throws(BlobStoreError) in try AdminTokenFile.write(token, inDirectory: directory) })
            }
        }
        let now = clock.now()
        let minute = now - now % TokenAuthenticator.lastSeenResolution
        do {
            try await store.write("store the first admin token") { db in
                try db.execute(
                    "INSERT INTO admin_tokens(name, token_hash, created_at, last_seen_at) VALUES (?, ?, ?, ?)",
                    ["first admin token", hash, now, minute])
                try db.incrementCounter(Self.firstAdminTokenCounter)
                try AuditLog.record(.adminTokenCreated, at: now, actor: .system, detail: "first admin token", in: db)
            }
        } catch {
            AdminTokenFile.remove(inDirectory: dataDirectory.path)
            throw error
        }
        logger.notice("created the first admin token", metadata: ["file": "\(path)", "mode": "0600"])
        return path
    }
}
