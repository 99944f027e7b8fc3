import ArgumentParser
import CoffreClient
import Dispatch
import Foundation
import Glibc
import Synchronization

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
        let stop = StopSignal()
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

/// SIGTERM and SIGINT turned into one awaited event, through Dispatch signal sources (no code
/// runs inside a signal handler). Installed before the gateway announces itself, so a signal
/// sent right after the announcement is never lost to the default action.
final class StopSignal: Sendable {
    private let queue = DispatchQueue(label: "coffre-dav.signals")
    private let state: Mutex<State>

    private struct State: @unchecked Sendable {
        // @unchecked Sendable: DispatchSourceSignal is not Sendable; a State is only ever
        // read or written inside `state.withLock`, so no two threads touch it at once.
        var sources: [any DispatchSourceSignal] = []
        var signalled = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    init() {
        state = Mutex(State())
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)  // the source receives it; the default action must not run
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in
                let waiter: CheckedContinuation<Void, Never>? = self?.state.withLock { state in
                    state.signalled = true
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume()
            }
            source.resume()
            state.withLock { $0.sources.append(source) }
        }
    }

    /// Returns once SIGTERM or SIGINT has arrived (at once if one already has).
    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now: Bool = state.withLock { state in
                if state.signalled { return true }
                state.waiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
        state.withLock { state in
            for source in state.sources { source.cancel() }
            state.sources.removeAll()
        }
    }
}
