import CoffreServer
import Testing

/// `sync.*` configuration keys: defaults, sources and validation.
@Suite struct SyncSettingsTests {
    @Test func retentionDefaultsAndOverrides() async throws {
        let defaults = try await ServerConfiguration.load(configFile: nil, environment: [:])
        #expect(defaults.sync.retentionDays == 30)
        #expect(defaults.sync.retentionMinRevisions == 10)
        #expect(RetentionPolicy(defaults.sync) == RetentionPolicy(days: 30, minRevisions: 10))
        let set = try await ServerConfiguration.load(
            configFile: nil, environment: ["COFFRE_SYNC_RETENTION_DAYS": "7"],
            overrides: ["sync.retentionMinRevisions": "3"])
        #expect(set.sync.retentionDays == 7)
        #expect(set.sync.retentionMinRevisions == 3)
    }

    @Test(arguments: [
        ["sync.retentionDays": "0"], ["sync.retentionDays": "-5"], ["sync.retentionDays": "forever"],
        ["sync.retentionDays": "36501"], ["sync.retentionMinRevisions": "0"], ["sync.retentionMinRevisions": "1.5"],
    ])
    func malformedRetentionIsAClearError(_ overrides: [String: String]) async throws {
        await #expect(throws: ConfigurationError.self) {
            try await ServerConfiguration.load(configFile: nil, environment: [:], overrides: overrides)
        }
    }
}
