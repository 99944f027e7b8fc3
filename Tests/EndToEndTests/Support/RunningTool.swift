import Foundation
import Glibc

/// A `coffre` command left running (the sync daemon, a sync to interrupt), with the same
/// environment rules as `CommandLineTool.run`; stopped by a signal.
final class RunningTool: @unchecked Sendable {
    // @unchecked Sendable: the process and pipes are set up in init and afterwards used by the
    // test that owns this object, one call at a time.
    let process: ChildProcess
    private let output = PipeReader()
    private let errors = PipeReader()

    init(_ name: String, _ arguments: [String], environment: [String: String]) throws {
        process = try ChildProcess(
            executable: CoffredProcess.binary(name), arguments: arguments, environment: ChildProcess.environment(environment),
            standardOutput: output.childEnd, standardError: errors.childEnd)
        output.childStarted()
        errors.childStarted()
    }

    var isRunning: Bool { process.isRunning }

    /// Sends `signal` and waits for the exit status (nil when it did not exit in time).
    func stop(signal: Int32 = SIGTERM, timeoutSeconds: Double = 60) async -> Int32? {
        if process.isRunning { kill(process.processIdentifier, signal) }
        return await ChildProcess.untilExit(process, timeoutSeconds: timeoutSeconds)
    }

    /// Waits until standard error holds `text` (or the process exits, or `timeoutSeconds`
    /// pass: a limit so a broken command cannot hang the suite, not a timing assertion).
    func waitForStandardError(containing text: String, timeoutSeconds: Double = 60) async -> Bool {
        await offThePool { [self] in errors.wait(for: process, timeoutSeconds: timeoutSeconds) { $0.contains(text) } }
    }

    /// Waits until `done` holds for what standard output holds so far; returns that text, or
    /// nil when the process exited or `timeoutSeconds` passed first.
    func waitForStandardOutput(timeoutSeconds: Double = 60, until done: @escaping @Sendable (String) -> Bool) async -> String? {
        await offThePool { [self] in output.wait(for: process, timeoutSeconds: timeoutSeconds, until: done) ? output.text : nil }
    }

    /// Everything written to standard error (once the process has exited).
    func standardError() -> String {
        process.isRunning ? "(still running)" : errors.all()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
