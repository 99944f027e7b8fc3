import Foundation
import Glibc

/// Runs one of the built executables (`coffre`, `coffre-admin`) as a user would: arguments,
/// environment and standard input in; exit status, standard output and standard error out.
enum CommandLineTool {
    struct Run: Sendable, CustomStringConvertible {
        let status: Int32
        let stdout: String
        let stderr: String

        var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
    }

    /// Runs `name` with `arguments`; the environment is the test's minus every `COFFRE_*`
    /// variable, plus `environment`. Runs on a thread of its own (the calls block).
    static func run(
        _ name: String, _ arguments: [String], environment: [String: String] = [:], stdin: String = "", timeoutSeconds: Double = 120
    ) async throws -> Run {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try runBlocking(name, arguments, environment, stdin, timeoutSeconds) })
            }.start()
        }
    }

    private static func runBlocking(
        _ name: String, _ arguments: [String], _ environment: [String: String], _ stdin: String, _ timeoutSeconds: Double
    ) throws -> Run {
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        let process = try ChildProcess(
            executable: CoffredProcess.binary(name), arguments: arguments, environment: ChildProcess.environment(environment),
            standardInput: input.fileHandleForReading.fileDescriptor, standardOutput: output.fileHandleForWriting.fileDescriptor,
            standardError: errors.fileHandleForWriting.fileDescriptor)
        // This process's copies of the child's ends, so that its exit reads as end of file.
        try input.fileHandleForReading.close()
        try output.fileHandleForWriting.close()
        try errors.fileHandleForWriting.close()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        // Standard error is drained on another thread so that neither pipe can fill up and
        // block the child while the other is read.
        let errorText = ErrorCollector(errors.fileHandleForReading)
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw Failure("\(name) \(arguments.first ?? "") did not finish in \(Int(timeoutSeconds)) s")
        }
        return Run(status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self), stderr: errorText.wait())
    }

    /// Reads a handle to its end on a thread of its own.
    private final class ErrorCollector: @unchecked Sendable {
        // @unchecked Sendable: `text` is written once by the reading thread before it signals
        // `done`, and read only after waiting on `done`.
        private var text = ""
        private let done = DispatchSemaphore(value: 0)

        init(_ handle: FileHandle) {
            Thread {
                self.text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
                self.done.signal()
            }.start()
        }

        func wait() -> String {
            done.wait()
            return text
        }
    }
}
