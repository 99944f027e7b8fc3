import ArgumentParser
import CoffreClient
import Foundation

/// Standard output for results, standard error for one-line failures, and the exit status.
enum CommandOutput {
    /// Writes `text` to standard output as is.
    static func print(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes one line to standard error.
    static func warn(_ text: String) {
        FileHandle.standardError.write(Data("\(text)\n".utf8))
    }

    /// Reports `error` and exits: help and version go to standard output with status 0,
    /// command-line mistakes to standard error with status 2, everything else with its
    /// `ExitStatus`.
    static func fail(_ error: any Error, tool: String, parser: any ParsableCommand.Type) -> Never {
        if let error = error as? VaultError {
            warn("\(tool): \(error)")
            exit(error.exitStatus.rawValue)
        }
        if let error = error as? SyncClientError {
            let wrapped = VaultError.sync(error)
            warn("\(tool): \(wrapped)")
            exit(wrapped.exitStatus.rawValue)
        }
        if error is AccountError || error is APIClientError {
            warn("\(tool): \(error)")
            exit(ExitStatus(forAny: error).rawValue)
        }
        let code = parser.exitCode(for: error)
        if code == .success {
            print(parser.fullMessage(for: error) + "\n")
            exit(0)
        }
        warn(parser.fullMessage(for: error))
        exit(ExitStatus.usage.rawValue)
    }
}
