import CoffreProtocol
import HTTPServer
import Logging

/// The admin maintenance routes (docs/protocol.md, "Maintenance"): `POST /v1/admin/gc`,
/// `/fsck` and `/backup`, for an admin token or an administrator's `admin`-scoped device. Each
/// answers when the task is done (minutes on a large store), one task at a time: a call while
/// another runs gets 409 `maintenance_busy`.
public struct MaintenanceAPI: Sendable {
    let maintenance: MaintenanceService
    let accounts: Accounts
    let logger: Logger

    /// Routes over `maintenance`, authenticating through `accounts`.
    public init(maintenance: MaintenanceService, accounts: Accounts, logger: Logger) {
        self.maintenance = maintenance
        self.accounts = accounts
        self.logger = logger
    }

    /// Adds the three routes to `router`.
    public func register(on router: inout HTTPRouter) throws(HTTPServerError) {
        let maintenance = maintenance
        let authenticator = accounts.authenticator
        let logger = logger
        let routes: [(String, @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse)] = [
            (SyncPath.adminGC, { request in
                _ = try await authenticator.admin(for: request)
                let gc = try await request.decodeOptionalJSON(GarbageCollectionRequest.self, empty: GarbageCollectionRequest())
                let report = try await maintenance.collectGarbage(dryRun: gc.dryRun ?? false)
                logger.notice("garbage collection", metadata: ["dryRun": "\(report.dryRun)", "blobs": "\(report.blobs)"])
                return try .json(report)
            }),
            (SyncPath.adminFsck, { request in
                _ = try await authenticator.admin(for: request)
                let fsck = try await request.decodeOptionalJSON(FsckRequest.self, empty: FsckRequest())
                let report = try await maintenance.check(verifyHashes: fsck.verifyHashes ?? true)
                logger.notice("fsck", metadata: ["result": "\(report.result.rawValue)", "blobs": "\(report.blobsChecked)"])
                return try .json(report)
            }),
            (SyncPath.adminBackup, { request in
                _ = try await authenticator.admin(for: request)
                let backup = try await request.decodeJSON(BackupRequest.self)
                let report = try await maintenance.backup(to: backup.destination)
                logger.notice("backup written", metadata: ["blobs": "\(report.blobs)"])
                return try .json(report)
            }),
        ]
        for (pattern, handler) in routes {
            try router.add(.post, pattern, SyncEndpoint.handler(logger: logger, route: pattern, handler))
        }
    }
}
