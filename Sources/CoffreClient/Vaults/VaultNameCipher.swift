import CoffreProtocol

/// Seals and opens a vault's name (the `name` of `CreateVaultRequest` and `VaultSummary`).
///
/// The name is sealed as an entry record (docs/format.md, "Encrypted record") of kind folder,
/// under the vault key's `meta` subkey, with the vault id as both entry id and parent id in the
/// associated data. No entry can carry those ids (entry ids are fresh random ids, and the
/// parent of a top-level entry is the root id), so the server cannot pass an entry's record
/// off as the name or move a name to another vault. Records are padded to 256-byte buckets,
/// so the length of the name does not show.
public struct VaultNameCipher: Sendable {
    private let cipher: RecordCipher
    private let vaultID: OpaqueID

    /// The name cipher of `key`'s vault and generation.
    public init(key: VaultKey) throws(CryptoFormatError) {
        cipher = RecordCipher(metaKey: try key.subkeys().meta, vaultID: key.vaultID)
        vaultID = key.vaultID
    }

    /// The sealed name. `validateName` rules apply (1–1024 bytes of NFC UTF-8, no `/`, NUL,
    /// `.` or `..`).
    public func seal(_ name: String) throws(CryptoFormatError) -> [UInt8] {
        try cipher.seal(Self.record(name), entryID: vaultID, parentID: vaultID)
    }

    /// The name in a sealed name; throws when it does not open under this key.
    public func open(_ sealed: [UInt8]) throws(CryptoFormatError) -> String {
        try cipher.open(sealed, entryID: vaultID, parentID: vaultID, kind: .folder).name
    }

    private static func record(_ name: String) -> EntryRecord {
        EntryRecord(kind: .folder, name: name, modificationTime: 0, mode: 0, size: 0)
    }
}
