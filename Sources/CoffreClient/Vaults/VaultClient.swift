import CoffreCrypto
import CoffreProtocol
import Foundation
import HTTPServer

/// This device's side of the vaults (`coffre vault …` and the sync commands): the sync API
/// client over the stored server trust, and the account's private keys, opened with the
/// password for the length of one command and never stored.
///
/// Vault names are sealed (`VaultNameCipher`), so they are resolved here: every vault of the
/// account is listed and its name opened; a name that matches none, or several, is refused.
public struct VaultClient: Sendable {
    /// The device's stored state.
    public let state: AccountState
    /// The device's folder (`$COFFRE_HOME`).
    public let home: ClientHome
    /// The sync routes, with this device's token.
    public let api: SyncAPIClient
    let agreement: X25519.PrivateKey
    let signing: Ed25519.PrivateKey

    /// One vault as this account sees it, its name opened.
    public struct Vault: Sendable {
        /// What the server lists.
        public let summary: VaultSummary
        /// The decrypted name; nil when it does not open (no usable grant yet).
        public let name: String?
        /// The vault id.
        public var id: VaultID { summary.vaultId }
    }

    /// Opens the private keys of the account stored in `home` with `password`. The KDF
    /// parameters come from the state file, which `login` checked against its cost policy
    /// (docs/cli.md, "--kdf-cost"); keys that do not open mean a wrong password.
    public static func open(home: ClientHome, password: String) throws(VaultError) -> VaultClient {
        do {
            let state = try home.requireState()
            let keys = try AccountClient.derive(password, KDFParameters(wire: state.kdf), policy: .testingOnly)
            let opened = try AccountClient.openPrivateKeys(state.keys, with: keys, unopenable: .wrongPassword)
            return VaultClient(state: state, home: home, api: try syncAPI(for: state), agreement: opened.agreement, signing: opened.signing)
        } catch {
            throw .account(error)
        }
    }

    /// A sync API client for the device in `state`, trusting the server as the state says
    /// (the pinned certificate or the CA file; nothing for `http://` on loopback).
    public static func syncAPI(for state: AccountState) throws(AccountError) -> SyncAPIClient {
        let server: ServerURL
        let http: HTTPClient
        do {
            server = try state.serverURL
        } catch {
            throw .api(error)
        }
        do {
            var configuration = HTTPClientConfiguration()
            configuration.userAgent = "coffre/\(CoffreVersion.current)"
            http = try HTTPClient(configuration: configuration)
        } catch {
            throw .api(.unreachable(server: server.description, reason: error.description))
        }
        let trust: TLSClientTrust? =
            server.scheme != .https ? nil
            : state.caFile.map { .certificateAuthorities(file: $0) } ?? state.pin.map { .pinnedCertificate(sha256: $0) }
        return SyncAPIClient(http: http, server: server, token: state.token, tlsTrust: trust)
    }

    // MARK: Listing and names

    /// Every vault of the account, names opened (the grants verified against the pins).
    public func vaults() async throws(VaultError) -> [Vault] {
        let list = try await call("list the vaults") { () async throws(APIClientError) in try await api.vaults() }
        var pins = try MemberKeyPins(home: home)
        var result: [Vault] = []
        for summary in list.vaults {
            let name: String?
            do {
                name = try await openName(of: summary, pins: &pins)
            } catch VaultError.memberKeyChanged(let user) {
                // A swapped member key is an attack to report, not a name that does not open.
                throw .memberKeyChanged(userID: user)
            } catch {
                name = nil
            }
            result.append(Vault(summary: summary, name: name))
        }
        try pins.save()
        return result
    }

    /// The vault called `name` (NFC), or the vault with that id (32 hex digits).
    public func vault(named name: String) async throws(VaultError) -> Vault {
        let all = try await vaults()
        if let id = VaultID(hex: name), let vault = all.first(where: { $0.id == id }) { return vault }
        let wanted = Self.normalized(name)
        let matches = all.filter { $0.name == wanted }
        guard !matches.isEmpty else { throw .unknownVault }
        guard matches.count == 1 else { throw .ambiguousName(count: matches.count) }
        return matches[0]
    }

    /// The vault with id `id` (a folder's, from the registry); `.vaultGone` when the account
    /// is no longer a member.
    public func vault(id: VaultID) async throws(VaultError) -> Vault {
        guard let vault = try await vaults().first(where: { $0.id == id }) else { throw .vaultGone }
        return vault
    }

    private func openName(of summary: VaultSummary, pins: inout MemberKeyPins) async throws -> String {
        var grants = summary.wrappedKey.map { [WrappedVaultKey(generation: summary.keyGeneration, wrappedKey: $0)] } ?? []
        for attempt in 0..<2 {
            for grant in grants {
                let key: VaultKey
                do {
                    key = try await openGrant(grant, vault: summary.vaultId, pins: &pins)
                } catch .memberKeyChanged(let user) {
                    throw VaultError.memberKeyChanged(userID: user)
                } catch {
                    continue
                }
                if let name = try? VaultNameCipher(key: key).open(summary.name.bytes) { return name }
            }
            // The name may be sealed under an older generation: try every grant held.
            if attempt == 0 { grants = try await api.vaultKeys(summary.vaultId).keys.reversed() }
        }
        throw VaultError.grantRefused("the vault's name does not open with any key this account holds")
    }

    // MARK: Grants

    /// Opens `grant` of `vault`, accepting it only when signed by this account or by a
    /// vault member whose key is pinned (members' keys are pinned here on first use).
    func openGrant(_ grant: WrappedVaultKey, vault: VaultID, pins: inout MemberKeyPins) async throws(VaultError) -> VaultKey {
        let parsed = try Self.parse(grant)
        if !trustedSigners(pins).contains(parsed.granter.rawRepresentation) {
            try await pinMembers(of: vault, into: &pins)
        }
        return try open(parsed, generation: grant.generation, vault: vault, signers: trustedSigners(pins))
    }

    /// A grant opener for the sync engine, which calls it synchronously: the members of
    /// `vault` are pinned first (first use), then a grant is opened only when signed by this
    /// account or a pinned key.
    public func grantOpener(for vault: VaultID) async throws(VaultError) -> @Sendable (WrappedVaultKey) throws -> VaultKey {
        var pins = try MemberKeyPins(home: home)
        try await pinMembers(of: vault, into: &pins)
        try pins.save()
        let signers = trustedSigners(pins)
        let client = self
        return { grant in try client.open(try Self.parse(grant), generation: grant.generation, vault: vault, signers: signers) }
    }

    /// Fetches the members' public keys and checks them against the pins (pinning new ones).
    func pinMembers(of vault: VaultID, into pins: inout MemberKeyPins) async throws(VaultError) {
        let members = try await call("list the members") { () async throws(APIClientError) in try await api.members(vault) }
        for member in members.members where member.userId != state.userID {
            let keys = try await call("read a member's keys") { () async throws(APIClientError) in
                try await api.memberKeys(vault, user: member.userId)
            }
            try pins.check(keys)
        }
    }

    /// This account's signing key and the pinned ones.
    func trustedSigners(_ pins: MemberKeyPins) -> Set<[UInt8]> {
        Set(pins.signingKeys + [signing.publicKey.rawRepresentation])
    }

    static func parse(_ grant: WrappedVaultKey) throws(VaultError) -> VaultKeyGrant {
        do {
            return try VaultKeyGrant(encoded: grant.wrappedKey.bytes)
        } catch {
            throw .grantRefused(error.description)
        }
    }

    /// Opens `grant` when its signer is one of `signers` and it is for `vault`, `generation`
    /// and this account's X25519 key.
    func open(_ grant: VaultKeyGrant, generation: Int64, vault: VaultID, signers: Set<[UInt8]>) throws(VaultError) -> VaultKey {
        guard signers.contains(grant.granter.rawRepresentation) else {
            throw .grantRefused("it is signed by a key that is neither yours nor a pinned member's")
        }
        guard let number = UInt32(exactly: generation) else { throw .grantRefused("impossible key generation") }
        do {
            return try grant.open(
                vaultID: try OpaqueID(bytes: vault.bytes), generation: number, with: agreement, signedBy: grant.granter)
        } catch {
            throw .grantRefused(error.description)
        }
    }

    // MARK: Helpers

    /// Runs one API call; its failure becomes `.api` with the step's name.
    func call<T>(_ operation: String, _ body: () async throws(APIClientError) -> T) async throws(VaultError) -> T {
        do {
            return try await body()
        } catch {
            throw .api(operation: operation, error)
        }
    }

    /// `name` in Unicode NFC, as names are sealed and compared.
    static func normalized(_ name: String) -> String {
        String(decoding: name.nfcUTF8, as: UTF8.self)
    }
}
