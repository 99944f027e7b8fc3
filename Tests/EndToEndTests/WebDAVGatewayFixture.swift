import CoffreClient
import Dispatch
import Foundation
import HTTPServer
import Logging

/// A `DAVServer` on a real `HTTPServer` in this process, on 127.0.0.1 port 0, over a
/// `MemoryDAVStorage` or a `DirectoryDAVStorage` in a temp folder, with generated Basic
/// credentials; and a runner for the real WebDAV clients (litmus, rclone) as subprocesses.
final class WebDAVGatewayFixture: Sendable {
    enum StorageKind: String, Sendable, CaseIterable {
        case memory, directory
    }

    let server: HTTPServer
    let credentials: DAVCredentials
    let folder: String
    let port: Int

    var url: String { "http://127.0.0.1:\(port)/" }
    /// The folder a `.directory` gateway serves.
    var servedFolder: String { folder + "/served" }

    /// A gateway on `eventLoopCount` loops (one keeps the tests light on the shared machine).
    init(_ kind: StorageKind, eventLoopCount: Int = 1) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-dav-e2e-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/served", withIntermediateDirectories: true)
        let storage: any DAVStorage = switch kind {
        case .memory: MemoryDAVStorage()
        case .directory: try DirectoryDAVStorage(path: folder + "/served")
        }
        credentials = try DAVCredentials.generated()
        let dav = DAVServer(storage: storage, configuration: DAVServerConfiguration(credentials: credentials))
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.eventLoopCount = eventLoopCount
        configuration.accessLogLevel = nil
        server = HTTPServer(configuration: configuration, responder: dav, logger: Logger(label: "dav-e2e") { _ in SwiftLogNoOpLogHandler() })
        try server.start()
        port = server.localPort
    }

    func stop() async {
        await server.shutdown(gracePeriod: .seconds(2))
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The result of a client run.
    struct Run: Sendable {
        let status: Int32
        let output: String
    }

    /// Runs `executable` with `arguments` in `directory` (stdout and stderr merged), off the
    /// cooperative pool; fails when it is not installed.
    static func run(_ executable: String, _ arguments: [String], in directory: String, environment: [String: String] = [:]) async throws -> Run {
        guard FileManager.default.isExecutableFile(atPath: executable) else { throw ClientMissing(path: executable) }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let pipe = Pipe()
                do {
                    let process = try ChildProcess(
                        executable: executable, arguments: arguments,
                        environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, directory: directory,
                        standardOutput: pipe.fileHandleForWriting.fileDescriptor, standardError: pipe.fileHandleForWriting.fileDescriptor)
                    try pipe.fileHandleForWriting.close()
                    let data = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: Run(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    struct ClientMissing: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path) is not installed: `make test` installs it (apt), or install it by hand" }
    }
}
