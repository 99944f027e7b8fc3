import ArgumentParser
import CoffreClient
import Foundation

/// The password that opens the account's private keys for one vault or sync command.
struct UnlockOptions: ParsableArguments {
    @Option(name: .long, help: "Read the password from the first line of FILE (else COFFRE_PASSWORD, else the terminal).")
    var passwordFile: String?

    /// The vault client of this `COFFRE_HOME`, its keys opened with the password.
    func vaultClient() throws -> VaultClient {
        try Self.vaultClient(passwordFile: passwordFile)
    }

    /// The same, the password read from `passwordFile` (else COFFRE_PASSWORD, else the terminal).
    static func vaultClient(passwordFile: String?) throws -> VaultClient {
        let home = try ClientContext.home()
        let source = PasswordInput.source(file: passwordFile, variable: "COFFRE_PASSWORD", environment: ProcessInfo.processInfo.environment)
        let password = try PasswordInput.read(from: source, prompt: "Password: ", confirm: false)
        return try VaultClient.open(home: home, password: password)
    }
}

extension ClientContext {
    /// `$COFFRE_HOME` (or its default).
    static func home() throws -> ClientHome {
        try ClientHome.resolve(environment: ProcessInfo.processInfo.environment)
    }

    /// The registry of synced folders of this home.
    static func registry() throws -> SyncFolderRegistry {
        SyncFolderRegistry(home: try home())
    }
}
