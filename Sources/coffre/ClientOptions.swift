import ArgumentParser
import CoffreClient
import CoffreProtocol
import Foundation

extension KDFCost: ExpressibleByArgument {}

/// Options of the commands that derive keys from a password.
struct PasswordOptions: ParsableArguments {
    @Option(name: .long, help: "Read the password from the first line of FILE (else COFFRE_PASSWORD, else the terminal).")
    var passwordFile: String?

    @Option(
        name: .long,
        help: "scrypt cost: standard (N=2^17, the default) or test (N=2^10, for tests only; login accepts a test account only with it).")
    var kdfCost: KDFCost = .standard

    /// The password, from the file, `COFFRE_PASSWORD` or the terminal.
    func password(prompt: String, confirm: Bool) throws -> String {
        let source = PasswordInput.source(file: passwordFile, variable: "COFFRE_PASSWORD", environment: ProcessInfo.processInfo.environment)
        return try PasswordInput.read(from: source, prompt: prompt, confirm: confirm)
    }
}

/// Where the server is and how to trust it.
struct ServerOptions: ParsableArguments {
    @Option(name: .long, help: "The server, e.g. https://coffre.example.org or http://127.0.0.1:8080.")
    var server: String

    @Option(name: .long, help: "Verify the server's certificate against the CA certificates in this PEM file instead of pinning it on first use.")
    var caFile: String?

    @Option(name: .long, help: "A name for this device in device lists (default: the host name).")
    var deviceName: String?

    /// The parsed options for `AccountClient`.
    func signInOptions(user: String, cost: KDFCost) throws -> AccountClient.SignInOptions {
        let url: ServerURL
        do {
            url = try ServerURL(parsing: server)
        } catch {
            throw AccountError.invalidArgument("--server: \(error)")
        }
        guard let name = UserName(rawValue: user) else {
            throw AccountError.invalidArgument("--user: \(UserName.problem(with: user) ?? "invalid user name")")
        }
        let device = deviceName ?? Self.defaultDeviceName()
        let absoluteCAFile = caFile.map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 }
        return AccountClient.SignInOptions(server: url, userName: name, deviceName: device, caFile: absoluteCAFile, cost: cost)
    }

    /// The host name, or `coffre device` when there is none.
    static func defaultDeviceName() -> String {
        let host = ProcessInfo.processInfo.hostName
        return host.isEmpty || host.utf8.count > 128 ? "coffre device" : host
    }
}

/// The account client of this process: `$COFFRE_HOME`, HTTP transport.
enum ClientContext {
    static func accountClient() throws -> AccountClient {
        let home = try ClientHome.resolve(environment: ProcessInfo.processInfo.environment)
        return AccountClient(home: home, makeTransport: HTTPAPITransport.factory())
    }
}
