/// `vaults/<vault id>/vault.json` in a user's export archive (`GET /v1/account/export`): what the
/// server holds about one vault of the user, all of it opaque to the server. The entries follow
/// in `entries-<n>.json` (`ChangesPage`s from cursor 0, tombstones included) and the blobs under
/// `blobs/<blob id>`; the client decrypts them with the user's keys.
public struct VaultExport: Sendable, Codable, Equatable {
    /// 1.
    public var formatVersion: Int
    /// The vault as the user sees it: encrypted name, role, current key generation and grant, seq.
    public var vault: VaultSummary
    /// Its members and their roles.
    public var members: MemberList
    /// The user's grants of the vault key, every generation they hold.
    public var keys: [WrappedVaultKey]

    /// An export document.
    public init(formatVersion: Int, vault: VaultSummary, members: MemberList, keys: [WrappedVaultKey]) {
        self.formatVersion = formatVersion
        self.vault = vault
        self.members = members
        self.keys = keys
    }
}
