import CoffreProtocol

/// The admin maintenance calls (an admin token, or a device token with the `admin` scope):
/// garbage collection, fsck, backup, statistics. They can run for minutes on a large store, so
/// they wait for the answer as long as it takes the server (`maintenanceTimeout`).
extension SyncAPIClient {
    /// How long a maintenance call may stay silent.
    public static let maintenanceTimeout = Duration.seconds(6 * 3600)

    /// Deletes unreferenced blobs past the grace period (or, with `dryRun`, only reports them).
    public func collectGarbage(dryRun: Bool) async throws(SyncClientError) -> GarbageCollectionReport {
        try await call(
            .post, SyncPath.adminGC, json: GarbageCollectionRequest(dryRun: dryRun), readTimeout: Self.maintenanceTimeout)
    }

    /// Checks every blob's size (and hash) and every reference.
    public func checkStore(verifyHashes: Bool = true) async throws(SyncClientError) -> FsckReport {
        try await call(
            .post, SyncPath.adminFsck, json: FsckRequest(verifyHashes: verifyHashes), readTimeout: Self.maintenanceTimeout)
    }

    /// Writes a consistent copy of the server's data into `destination` (a path on the server).
    public func backup(to destination: String) async throws(SyncClientError) -> BackupReport {
        try await call(
            .post, SyncPath.adminBackup, json: BackupRequest(destination: destination), readTimeout: Self.maintenanceTimeout)
    }

    /// The admin statistics, with the storage section.
    public func stats() async throws(SyncClientError) -> ServerStats {
        try await call(.get, AccountsPath.adminStats)
    }
}
