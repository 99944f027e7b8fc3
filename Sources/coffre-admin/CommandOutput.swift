import ArgumentParser
import CoffreClient
import Foundation

/// Standard output for results, standard error for one-line failures, and the exit status.
enum CommandOutput {
    /// Writes `text` to standard output as is.
    static func print(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Reports `error` and exits: help and version go to standard output with status 0,
    /// command-line mistakes to standard error with status 2, everything else with its
    /// `ExitStatus`.
    static func fail(_ error: any Error, tool: String, parser: any ParsableCommand.Type) -> Never {
        if error is AccountError || error is APIClientError {
            FileHandle.standardError.write(Data("\(tool): \(error)\n".utf8))
            exit(ExitStatus(forAny: error).rawValue)
        }
        if parser.exitCode(for: error) == .success {
            print(parser.fullMessage(for: error) + "\n")
            exit(0)
        }
        FileHandle.standardError.write(Data((parser.fullMessage(for: error) + "\n").utf8))
        exit(ExitStatus.usage.rawValue)
    }
}
