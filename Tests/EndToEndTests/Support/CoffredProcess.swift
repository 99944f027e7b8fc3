import Foundation
import Glibc

/// A real `coffred` binary started for one test, on 127.0.0.1 port 0 in a temp data directory.
///
/// The binary is the one `swift build` put next to the test bundle (or `$COFFRED_BIN`).
final class CoffredProcess: @unchecked Sendable {
    // @unchecked Sendable: the Process and pipes are set up in init and afterwards only used by
    // the test that owns this object, one call at a time.
    let process: ChildProcess
    let dataDirectory: String
    private(set) var url = ""
    private let stdout = PipeReader()
    private let stderr = PipeReader()
    private var ownsDataDirectory: Bool

    static func binary(_ name: String) -> String {
        if let override = ProcessInfo.processInfo.environment["\(name.uppercased().replacingOccurrences(of: "-", with: "_"))_BIN"] {
            return override
        }
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        // swift test runs `<build>/debug/coffrePackageTests.xctest`; the executables sit beside it.
        for _ in 0..<3 where !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent(name).path
    }

    static func temporaryDirectory(_ prefix: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Connection timeouts of 600 s unless `environment` sets them: clients inside the test
    /// process (an `HTTPClient` feeding a body, reading an answer) may wait tens of seconds for
    /// one of its two pool threads during a full run, and coffred's own 10–75 s limits would then
    /// cut healthy exchanges. Tests of those limits set their own.
    static let patientTimeouts = [
        "COFFRE_HTTP_HEADER_READ_TIMEOUT_SECONDS": "600", "COFFRE_HTTP_IDLE_TIMEOUT_SECONDS": "600",
        "COFFRE_HTTP_BODY_READ_TIMEOUT_SECONDS": "600",
    ]

    /// Starts `coffred serve` with `arguments` added; does not wait for it to listen.
    init(arguments: [String] = [], dataDirectory: String? = nil, environment: [String: String] = [:]) throws {
        self.ownsDataDirectory = dataDirectory == nil
        self.dataDirectory = dataDirectory ?? Self.temporaryDirectory("coffred-e2e")
        let environment = Self.patientTimeouts.merging(environment) { _, given in given }
        process = try ChildProcess(
            executable: Self.binary("coffred"), arguments: ["serve", "--data", self.dataDirectory, "--listen", "127.0.0.1:0"] + arguments,
            environment: ChildProcess.environment(environment), standardOutput: stdout.childEnd, standardError: stderr.childEnd)
        stdout.childStarted()
        stderr.childStarted()
    }

    /// Waits for the "listening on URL" line (or the process exiting) and returns the URL.
    @discardableResult
    func waitUntilListening(timeoutSeconds: Double = 60) throws -> String {
        let prefix = "coffred listening on "
        func announced(_ text: String) -> Substring? { text.split(separator: "\n").first { $0.hasPrefix(prefix) } }
        guard stdout.wait(for: process, timeoutSeconds: timeoutSeconds, until: { announced($0) != nil }),
            let line = announced(stdout.text)
        else { throw Failure("coffred did not start: \(standardError())") }
        url = String(line.dropFirst(prefix.count))
        return url
    }

    var port: Int { Int(url.split(separator: ":").last ?? "") ?? 0 }

    /// Sends `signal` and waits for the exit status (nil when it did not exit in time).
    func stop(signal: Int32 = SIGTERM, timeoutSeconds: Double = 60) async -> Int32? {
        if process.isRunning { kill(process.processIdentifier, signal) }
        return await waitForExit(timeoutSeconds: timeoutSeconds)
    }

    func waitForExit(timeoutSeconds: Double = 60) async -> Int32? {
        await ChildProcess.untilExit(process, timeoutSeconds: timeoutSeconds)
    }

    /// Everything the process wrote to stderr so far (after it exited: all of it).
    func standardError() -> String {
        process.isRunning ? "(still running)" : stderr.all()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        if ownsDataDirectory { try? FileManager.default.removeItem(atPath: dataDirectory) }
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
