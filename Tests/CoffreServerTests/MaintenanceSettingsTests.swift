import CoffreServer
import Testing

/// `maintenance.*` configuration keys: defaults, sources and validation.
@Suite struct MaintenanceSettingsTests {
    @Test func defaultsAndOverrides() async throws {
        let defaults = try await ServerConfiguration.load(configFile: nil, environment: [:])
        #expect(defaults.maintenance.intervalSeconds == 3_600 && defaults.maintenance.gcGraceSeconds == 86_400)
        let set = try await ServerConfiguration.load(
            configFile: nil, environment: ["COFFRE_MAINTENANCE_INTERVAL_SECONDS": "0"],
            overrides: ["maintenance.gcGraceSeconds": "600"])
        #expect(set.maintenance.intervalSeconds == 0 && set.maintenance.gcGraceSeconds == 600)
    }

    @Test(arguments: [
        ["maintenance.intervalSeconds": "5"], ["maintenance.intervalSeconds": "-1"], ["maintenance.intervalSeconds": "hourly"],
        ["maintenance.gcGraceSeconds": "-1"], ["maintenance.gcGraceSeconds": "99999999999"],
    ])
    func malformedValuesAreAClearError(_ overrides: [String: String]) async throws {
        await #expect(throws: ConfigurationError.self) {
            try await ServerConfiguration.load(configFile: nil, environment: [:], overrides: overrides)
        }
    }
}
