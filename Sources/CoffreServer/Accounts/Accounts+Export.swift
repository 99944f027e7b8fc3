import CoffreProtocol
import Foundation
import SQLiteStore

extension Accounts {
    /// Streams the session user's export to `sink` as a tar archive: `account.json`
    /// (`AccountExport`), `devices.json` (`DeviceList`), `audit.json` (every audit entry about
    /// the user, oldest first), then the contributors' files. The account's rows are read in
    /// one snapshot before anything is written.
    public func export(of session: DeviceSession, to sink: @escaping @Sendable ([UInt8]) async throws -> Void) async throws {
        let now = clock.now()
        let userID = session.userID
        let documents = try await store.read("export account") { db -> [(String, [UInt8])] in
            guard let user = try AccountRows.user(id: userID, in: db),
                let kdf = try AccountRows.kdf(ofUser: userID, in: db),
                let keys = try AccountRows.keyMaterial(ofUser: userID, in: db),
                let times = try db.fetchOne(
                    "SELECT registered_at, password_changed_at FROM user_credentials WHERE user_id = ?", [userID],
                    { row in (try row.int64(at: 0), try row.int64(at: 1)) })
            else { throw APIError.unauthenticated }
            let account = AccountExport(
                formatVersion: 1, exportedAt: now, user: user, registeredAt: times.0, passwordChangedAt: times.1, kdf: kdf,
                keys: keys)
            let devices = DeviceList(devices: try AccountRows.devices(ofUser: userID, currentDeviceID: session.deviceID, in: db))
            var audit: [AuditEntry] = []
            var before: Int64?
            repeat {
                let page = try AuditLog.page(
                    AuditLog.Query(userID: userID, since: nil, before: before, limit: AccountRules.maximumAuditPageSize), in: db)
                audit.append(contentsOf: page.entries)
                before = page.nextBefore
            } while before != nil
            return [
                ("account.json", try Self.json(account)),
                ("devices.json", try Self.json(devices)),
                ("audit.json", try Self.json(AuditPage(entries: audit.reversed(), nextBefore: nil))),
            ]
        }
        let archive = AccountExportArchive(modificationTime: now, sink: sink)
        for (path, contents) in documents {
            try await archive.addFile(path: path, contents: contents)
        }
        for contributor in exportContributors {
            try await contributor.contribute(userID: userID, to: archive)
        }
        try await archive.finish()
    }

    /// Pretty-printed, key-sorted JSON: the export is read by people too.
    static func json(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }
}
