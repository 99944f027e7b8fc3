import CoffreClient
import Foundation
import HTTPServer
import Logging

let arguments = CommandLine.arguments
let folder = arguments[1]
let port = Int(arguments[2]) ?? 0
let storage: any DAVStorage = folder == "memory" ? MemoryDAVStorage(maximumResourceBytes: 300 << 20) : try DirectoryDAVStorage(path: folder)
var davConfiguration = DAVServerConfiguration()
if arguments.count > 3 { davConfiguration.credentials = try DAVCredentials(user: "u", password: arguments[3]) }
var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: port)
configuration.accessLogLevel = nil
let server = HTTPServer(configuration: configuration, responder: DAVServer(storage: storage, configuration: davConfiguration), logger: Logger(label: "dav") { _ in SwiftLogNoOpLogHandler() })
try server.start()
print("listening on \(server.localPort)")

await server.waitUntilStopped()
