import CoffreCrypto
import CoffreProtocol
import HTTPServer

/// What the gateway needs to open one vault as this device: the remote, and how to open the
/// vault's key grants with the account's private keys (opened from the password, in memory
/// only).
///
/// Vault names are encrypted: each is sealed like the record of a folder named NAME for the
/// root entry under the root (`RecordCipher`, entry and parent ids zero), with the vault key
/// of the caller's grant, and resolved here by opening every name the caller can open.
/// Grants are accepted only when signed by the account's own signing key: vaults this account
/// created. Grants from other members need their keys pinned, which this client does not
/// keep yet.
public struct VaultAccess: Sendable {
    /// The vault's remote over HTTP.
    public let remote: HTTPSyncRemote
    /// Opens a grant of this vault for this account.
    public let openGrant: @Sendable (WrappedVaultKey) throws -> VaultKey
}

extension AccountClient {
    /// Opens the vault named `name` with this device's state and `password` (checked by
    /// opening the account's private keys, locally). Throws `.invalidArgument` when no vault
    /// or several have that name.
    public func openVault(named name: String, password: String, cost: KDFCost) async throws -> VaultAccess {
        let state = try home.requireState()
        let keys = try Self.derive(password, KDFParameters(wire: state.kdf), policy: cost.policy)
        let (agreement, signing) = try Self.openPrivateKeys(state.keys, with: keys, unopenable: .wrongPassword)
        let client = try Self.syncClient(for: state)
        let vaults: VaultList
        do {
            vaults = try await client.vaults()
        } catch {
            throw AccountError.fromDeviceCall(error)
        }
        let wanted = NameEquivalence.nfc(name)
        let ownKey = signing.publicKey
        let matches = vaults.vaults.filter { summary in
            guard let grant = summary.wrappedKey,
                let key = try? Self.open(grant.bytes, vault: summary.vaultId, generation: summary.keyGeneration, agreement, ownKey)
            else { return false }
            return (try? Self.vaultName(summary.name.bytes, key: key)) == wanted
        }
        guard matches.count == 1, let vault = matches.first else {
            throw AccountError.invalidArgument(matches.isEmpty ? "--vault: no vault of yours has this name" : "--vault: several vaults have this name")
        }
        let vaultID = vault.vaultId
        return VaultAccess(
            remote: HTTPSyncRemote(client: client, vaultID: vaultID),
            openGrant: { grant in try Self.open(grant.wrappedKey.bytes, vault: vaultID, generation: grant.generation, agreement, ownKey) })
    }

    /// A grant opened with the account's agreement key, signed by `granter`.
    static func open(
        _ grant: [UInt8], vault: VaultID, generation: Int64, _ agreement: X25519.PrivateKey, _ granter: Ed25519.PublicKey
    ) throws -> VaultKey {
        guard let number = UInt32(exactly: generation) else { throw CryptoFormatError.grantMismatch("another key generation") }
        return try VaultKeyGrant(encoded: grant).open(
            vaultID: try OpaqueID(bytes: vault.bytes), generation: number, with: agreement, signedBy: granter)
    }

    /// Seals a vault name as `openVault` reads it back.
    public static func sealVaultName(_ name: String, key: VaultKey) throws -> [UInt8] {
        let record = EntryRecord(kind: .folder, name: name, modificationTime: 0, mode: 0, size: 0)
        return try RecordCipher(metaKey: try key.subkeys().meta, vaultID: key.vaultID)
            .seal(record, entryID: try OpaqueID(bytes: EntryID.root.bytes), parentID: try OpaqueID(bytes: EntryID.root.bytes))
    }

    /// The name of a vault, opened with its key.
    static func vaultName(_ sealed: [UInt8], key: VaultKey) throws -> String {
        let root = try OpaqueID(bytes: EntryID.root.bytes)
        return try RecordCipher(metaKey: try key.subkeys().meta, vaultID: key.vaultID)
            .open(sealed, entryID: root, parentID: root, kind: .folder).name
    }

    /// The sync client of this device: its server, token and stored certificate trust.
    static func syncClient(for state: AccountState) throws -> SyncAPIClient {
        let trust: TLSClientTrust? = if let pin = state.pin {
            .pinnedCertificate(sha256: pin)
        } else if let caFile = state.caFile {
            .certificateAuthorities(file: caFile)
        } else {
            nil
        }
        var configuration = HTTPClientConfiguration()
        configuration.userAgent = "coffre/\(CoffreVersion.current)"
        return SyncAPIClient(http: try HTTPClient(configuration: configuration), server: try state.serverURL, token: state.token, tlsTrust: trust)
    }
}
