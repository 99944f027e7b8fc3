import Foundation
import Glibc

/// A `coffre` command left running (the sync daemon, a sync to interrupt), with the same
/// environment rules as `CommandLineTool.run`; stopped by a signal.
final class RunningTool: @unchecked Sendable {
    // @unchecked Sendable: the Process and pipes are set up in init and afterwards used by the
    // test that owns this object, one call at a time.
    let process = Process()
    private let output = Pipe()
    private let errors = Pipe()

    init(_ name: String, _ arguments: [String], environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: CoffredProcess.binary(name))
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("COFFRE_") }
        env.merge(environment) { $1 }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// Sends `signal` and waits for the exit status (nil when it did not exit in time).
    func stop(signal: Int32 = SIGTERM, timeoutSeconds: Double = 60) -> Int32? {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    private var collected = ""

    /// Waits until standard error holds `text` (or the process exits, or `timeoutSeconds`
    /// pass: a limit so a broken command cannot hang the suite, not a timing assertion).
    func waitForStandardError(containing text: String, timeoutSeconds: Double = 60) -> Bool {
        let handle = errors.fileHandleForReading
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while !collected.contains(text), Date() < deadline {
            var poller = pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else {
                if !process.isRunning { break }
                continue
            }
            let data = handle.availableData
            if data.isEmpty { break }
            collected += String(decoding: data, as: UTF8.self)
        }
        return collected.contains(text)
    }

    /// Everything written to standard error (once the process has exited).
    func standardError() -> String {
        process.isRunning ? "(still running)" : collected + String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
