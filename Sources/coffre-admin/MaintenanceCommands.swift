import ArgumentParser
import CoffreClient
import CoffreProtocol
import Foundation

/// `coffre-admin gc [--dry-run]`.
struct GCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete blobs no retained revision references (past the grace period) and unrecorded blob files.")
    @OptionGroup var options: AdminOptions
    @Flag(name: .long, help: "Only report what would be deleted.")
    var dryRun = false

    func run() async throws {
        let dryRun = self.dryRun
        let report = try await options.call { (api, _) throws(APIClientError) in try await api.collectGarbage(dryRun: dryRun) }
        options.show(report, AdminReport.garbage)
    }
}

/// `coffre-admin fsck [--sizes-only]`; exits 8 when something is damaged.
struct FsckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck",
        abstract: "Check every blob's size and hash and every reference; exit status 8 when something is damaged.")
    @OptionGroup var options: AdminOptions
    @Flag(name: .long, help: "Check that blobs exist with the right sizes, without re-reading their contents.")
    var sizesOnly = false

    func run() async throws {
        let verify = !sizesOnly
        let report = try await options.call { (api, _) throws(APIClientError) in try await api.checkStore(verifyHashes: verify) }
        options.show(report, AdminReport.fsck)
        if report.result == .damaged { Foundation.exit(ExitStatus.damaged.rawValue) }
    }
}

/// `coffre-admin backup DEST`.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent copy of the running server's data into DEST, a new or empty directory on the server's machine.")
    @OptionGroup var options: AdminOptions
    @Argument(help: "An absolute path on the server's machine, outside its data directory; coffred --data DEST starts from it.")
    var destination: String

    func run() async throws {
        guard destination.hasPrefix("/") else {
            throw AccountError.invalidArgument("DEST: give an absolute path (on the server's machine)")
        }
        let destination = self.destination
        let report = try await options.call { (api, _) throws(APIClientError) in try await api.backup(to: destination) }
        options.show(report, AdminReport.backup)
    }
}
