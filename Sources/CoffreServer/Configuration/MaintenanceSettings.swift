/// Background maintenance (`maintenance.*`): retention pruning and garbage collection on a
/// timer (docs/admin.md, "Garbage collection").
public struct MaintenanceSettings: Sendable, Equatable {
    /// Seconds between two passes (`maintenance.intervalSeconds`); 0 turns the timer off
    /// (`POST /v1/admin/gc` still works).
    public var intervalSeconds = 3_600
    /// How long an unreferenced blob is kept after it was last uploaded
    /// (`maintenance.gcGraceSeconds`): an upload whose commit has not landed yet must survive
    /// until it does. A day by default.
    public var gcGraceSeconds: Int64 = 86_400

    /// The defaults.
    public init() {}

    func validate() throws(ConfigurationError) {
        guard intervalSeconds == 0 || (10...604_800).contains(intervalSeconds) else {
            throw .invalid(key: "maintenance.intervalSeconds", reason: "must be 0 (off) or 10 to 604800 seconds")
        }
        guard (0...31_536_000).contains(gcGraceSeconds) else {
            throw .invalid(key: "maintenance.gcGraceSeconds", reason: "must be 0 to 31536000 seconds")
        }
    }
}
