import ArgumentParser
import CoffreClient
import Foundation

/// `coffre dav`: serves one vault over WebDAV on loopback, decrypted on the fly.
struct Dav: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a vault over WebDAV on this machine, decrypted locally (keys stay in this process).",
        discussion: """
            Listens on a loopback address only: there is no TLS in this command and the files it serves are \
            decrypted. Prints the URL, the user and the password (generated unless --password-file gives one). \
            The account password (to open the vault key) is read from --account-password-file, COFFRE_PASSWORD \
            or the terminal. Vaults shared with you open like your own: a grant is accepted only when signed by \
            you or by a member whose key is pinned (docs/cli.md, "Vaults and sync"). Stops on SIGTERM or SIGINT.
            """)

    @Option(name: .long, help: "The vault's name.")
    var vault: String

    @Option(name: .long, help: "HOST:PORT to listen on, a loopback address (default 127.0.0.1 on a free port).")
    var listen: String?

    @Option(name: .long, help: "Read the WebDAV password from the first line of FILE instead of generating one.")
    var passwordFile: String?

    @Option(name: .long, help: "Read the account password from the first line of FILE (else COFFRE_PASSWORD, else the terminal).")
    var accountPasswordFile: String?

    func run() async throws {
        let stop = StopSignals()
        let address = try listen.map { try DAVListenAddress(parsing: $0) } ?? .anyLoopbackPort
        let credentials = try davCredentials()
        let vaults = try UnlockOptions.vaultClient(passwordFile: accountPasswordFile)
        let chosen = try await vaults.vault(named: vault)
        let openGrant = try await vaults.grantOpener(for: chosen.id)
        let storage: VaultDAVStorage
        do {
            storage = try await VaultDAVStorage.open(remote: HTTPSyncRemote(client: vaults.api, vaultID: chosen.id), openGrant: openGrant)
        } catch let error as APIClientError {
            throw AccountError.api(error)
        } catch {
            throw AccountError.invalidArgument("--vault: the vault cannot be opened (\(error))")
        }
        let gateway = VaultGateway(storage: storage, credentials: credentials, address: address)
        let url: String
        do {
            url = try gateway.start()
        } catch {
            throw AccountError.invalidArgument("--listen: cannot listen there (\(error))")
        }
        CommandOutput.print("WebDAV: \(url)\nuser: \(credentials.user)\npassword: \(credentials.password)\n")
        await stop.wait()
        await gateway.stop()
    }

    /// The Basic credentials: from `--password-file`, or generated.
    private func davCredentials() throws -> DAVCredentials {
        guard let passwordFile else { return try DAVCredentials.generated() }
        let password = try PasswordInput.read(from: .file(path: passwordFile), prompt: "", confirm: false)
        do {
            return try DAVCredentials(user: "coffre", password: password)
        } catch {
            throw AccountError.invalidArgument("--password-file: \(error)")
        }
    }
}
