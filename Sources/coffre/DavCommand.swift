import ArgumentParser
import CoffreClient
import Dispatch
import Foundation
import Glibc

/// `coffre dav`: serves one vault over WebDAV on loopback, decrypted on the fly.
struct Dav: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a vault over WebDAV on this machine, decrypted locally (keys stay in this process).",
        discussion: """
            Listens on a loopback address only: there is no TLS in this command and the files it serves are \
            decrypted. Prints the URL, the user and the password (generated unless --password-file gives one). \
            The account password (to open the vault key) is read from --account-password-file, COFFRE_PASSWORD \
            or the terminal. Stops on SIGTERM or SIGINT.
            """)

    @Option(name: .long, help: "The vault's name.")
    var vault: String

    @Option(name: .long, help: "HOST:PORT to listen on, a loopback address (default 127.0.0.1 on a free port).")
    var listen: String?

    @Option(name: .long, help: "Read the WebDAV password from the first line of FILE instead of generating one.")
    var passwordFile: String?

    @Option(name: .long, help: "Read the account password from the first line of FILE (else COFFRE_PASSWORD, else the terminal).")
    var accountPasswordFile: String?

    @Option(name: .long, help: "scrypt cost of the account: standard (the default) or test (tests only).")
    var kdfCost: KDFCost = .standard

    func run() async throws {
        let address = try listen.map { try DAVListenAddress(parsing: $0) } ?? .anyLoopbackPort
        let credentials = try davCredentials()
        let client = try ClientContext.accountClient()
        let source = PasswordInput.source(
            file: accountPasswordFile, variable: "COFFRE_PASSWORD", environment: ProcessInfo.processInfo.environment)
        let password = try PasswordInput.read(from: source, prompt: "Account password: ", confirm: false)
        let access = try await client.openVault(named: vault, password: password, cost: kdfCost)
        let storage: VaultDAVStorage
        do {
            storage = try await VaultDAVStorage.open(remote: access.remote, openGrant: access.openGrant)
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
        await Self.waitForStopSignal()
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

    /// Returns at the first SIGTERM or SIGINT (Dispatch signal sources: no code runs inside a
    /// signal handler).
    private static func waitForStopSignal() async {
        let queue = DispatchQueue(label: "coffre-dav.signals")
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let sources = [SIGTERM, SIGINT].map { number in
                signal(number, SIG_IGN)  // the source receives it; the default action must not run
                return DispatchSource.makeSignalSource(signal: number, queue: queue)
            }
            var resumed = false
            for source in sources {
                source.setEventHandler {
                    // Runs on the serial `queue`: `resumed` is only touched there.
                    guard !resumed else { return }
                    resumed = true
                    for each in sources { each.cancel() }
                    continuation.resume()
                }
                source.resume()
            }
        }
    }
}
