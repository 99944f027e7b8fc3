import ArgumentParser
import CoffreClient
import CoffreProtocol
import Foundation

/// How to reach the server and prove to be an administrator; accepted before or after the
/// subcommand.
struct AdminOptions: ParsableArguments {
    @Option(name: .long, help: "coffred's data directory, on the server's machine: the URL and first admin token are read from it.")
    var data: String?
    @Option(name: .long, help: "The server's URL (instead of DATA/coffred.url).")
    var server: String?
    @Option(name: .long, help: "Admin token (cfa_…); default COFFRE_ADMIN_TOKEN, then DATA/admin.token.")
    var token: String?
    @Option(name: .long, help: "For https: verify the certificate against the CAs in this PEM file.")
    var caFile: String?
    @Option(name: .long, help: "For https: require this certificate SHA-256 fingerprint (64 hex digits, colons allowed).")
    var tlsFingerprint: String?
    @Flag(name: .long, help: "Print the server's answer as JSON instead of a table.")
    var json = false

    /// Server, token and trust from these options and the environment.
    func credentials() throws(AccountError) -> AdminCredentials {
        try AdminCredentials.resolve(
            dataDirectory: data, server: server, token: token, caFile: caFile, fingerprint: tlsFingerprint,
            environment: ProcessInfo.processInfo.environment)
    }

    /// Runs `body` with an authenticated API client; a refused token is reported as such.
    func call<Answer>(_ body: (CoffreAPI, ServerURL) async throws(APIClientError) -> Answer) async throws(AccountError) -> Answer {
        let credentials = try credentials()
        let api = try credentials.api(HTTPAPITransport.factory())
        do {
            return try await body(api, credentials.server)
        } catch {
            throw AdminCredentials.explain(error)
        }
    }

    /// Prints `value` as JSON with `--json`, else `text(value)`.
    func show<Value: Encodable>(_ value: Value, _ text: (Value) -> String) {
        CommandOutput.print(json ? AccountReport.json(value) : text(value))
    }
}

/// A user-name argument, checked before anything is sent.
func userName(_ text: String) throws(AccountError) -> UserName {
    guard let name = UserName(rawValue: text) else {
        throw .invalidArgument("\(text.utf8.count <= 64 ? "'\(TerminalText.sanitized(text))'" : "the name"): \(UserName.problem(with: text) ?? "invalid")")
    }
    return name
}
