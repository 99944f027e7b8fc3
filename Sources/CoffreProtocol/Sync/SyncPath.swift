/// The paths of the sync routes (docs/protocol.md, "Sync"), for clients building requests and
/// for the server's router. `…Pattern` constants hold `{name}` parameters; the functions fill
/// them in. Vault, entry and blob ids are lowercase hex and user names `[a-z0-9._-]`, so no
/// value needs percent-encoding.
public enum SyncPath {
    /// `GET` the caller's vaults, `POST` create one.
    public static let vaults = "/v1/vaults"
    /// `DELETE` a vault (owner).
    public static let vaultPattern = "/v1/vaults/{vault}"
    /// `PUT` a new encrypted name (owner).
    public static let vaultNamePattern = "/v1/vaults/{vault}/name"
    /// `GET` the members, `POST` add one (owner).
    public static let membersPattern = "/v1/vaults/{vault}/members"
    /// `DELETE` a member (owner, or the member leaving).
    public static let memberPattern = "/v1/vaults/{vault}/members/{user}"
    /// `PUT` a member's role (owner).
    public static let memberRolePattern = "/v1/vaults/{vault}/members/{user}/role"
    /// `GET` a member's public keys (any member).
    public static let memberKeysPattern = "/v1/vaults/{vault}/members/{user}/keys"
    /// `GET` the caller's grants, `POST` start a new key generation (owner).
    public static let keysPattern = "/v1/vaults/{vault}/keys"
    /// `PUT`, `GET`, `HEAD` one blob.
    public static let blobPattern = "/v1/vaults/{vault}/blobs/{id}"
    /// `POST`: which of these blobs does the vault lack.
    public static let missingBlobsPattern = "/v1/vaults/{vault}/missing-blobs"
    /// `POST`: many small blobs in one body (`BlobBatchFraming`).
    public static let blobBatchPattern = "/v1/vaults/{vault}/blob-batch"
    /// `POST`: many blobs in one answer (`BlobFetchRequest`, `BlobBatchFraming` records back).
    public static let blobFetchPattern = "/v1/vaults/{vault}/blob-fetch"
    /// `POST`: a commit.
    public static let commitsPattern = "/v1/vaults/{vault}/commits"
    /// `GET`: the changes feed (`?since=&limit=&wait=`).
    public static let changesPattern = "/v1/vaults/{vault}/changes"
    /// `GET`: an entry's retained revisions (`?before=&limit=`).
    public static let revisionsPattern = "/v1/vaults/{vault}/entries/{entry}/revisions"
    /// `GET`: the trash (`?before=&limit=`).
    public static let trashPattern = "/v1/vaults/{vault}/trash"
    /// `GET`: a user's public keys, by user name, to share a vault with them.
    public static let userKeysPattern = "/v1/users/{name}/keys"

    /// `POST`: garbage collection (`{dryRun}`), admin.
    public static let adminGC = "/v1/admin/gc"
    /// `POST`: check every blob and reference, admin.
    public static let adminFsck = "/v1/admin/fsck"
    /// `POST`: consistent online backup into a directory of the server (`{destination}`), admin.
    public static let adminBackup = "/v1/admin/backup"

    /// `/v1/vaults/{vault}`.
    public static func vault(_ vault: VaultID) -> String { "\(vaults)/\(vault.hex)" }
    /// `/v1/vaults/{vault}/name`.
    public static func vaultName(_ vault: VaultID) -> String { self.vault(vault) + "/name" }
    /// `/v1/vaults/{vault}/members`.
    public static func members(_ vault: VaultID) -> String { self.vault(vault) + "/members" }
    /// `/v1/vaults/{vault}/members/{user}`.
    public static func member(_ vault: VaultID, _ user: Int64) -> String { members(vault) + "/\(user)" }
    /// `/v1/vaults/{vault}/members/{user}/role`.
    public static func memberRole(_ vault: VaultID, _ user: Int64) -> String { member(vault, user) + "/role" }
    /// `/v1/vaults/{vault}/members/{user}/keys`.
    public static func memberKeys(_ vault: VaultID, _ user: Int64) -> String { member(vault, user) + "/keys" }
    /// `/v1/vaults/{vault}/keys`.
    public static func keys(_ vault: VaultID) -> String { self.vault(vault) + "/keys" }
    /// `/v1/vaults/{vault}/blobs/{id}`.
    public static func blob(_ vault: VaultID, _ id: BlobID) -> String { self.vault(vault) + "/blobs/\(id.hex)" }
    /// `/v1/vaults/{vault}/missing-blobs`.
    public static func missingBlobs(_ vault: VaultID) -> String { self.vault(vault) + "/missing-blobs" }
    /// `/v1/vaults/{vault}/blob-batch`.
    public static func blobBatch(_ vault: VaultID) -> String { self.vault(vault) + "/blob-batch" }
    /// `/v1/vaults/{vault}/blob-fetch`.
    public static func blobFetch(_ vault: VaultID) -> String { self.vault(vault) + "/blob-fetch" }
    /// `/v1/vaults/{vault}/commits`.
    public static func commits(_ vault: VaultID) -> String { self.vault(vault) + "/commits" }
    /// `/v1/vaults/{vault}/changes?since=…[&limit=…][&wait=…]`.
    public static func changes(_ vault: VaultID, since: Int64, limit: Int? = nil, waitSeconds: Int? = nil) -> String {
        var target = self.vault(vault) + "/changes?since=\(since)"
        if let limit { target += "&limit=\(limit)" }
        if let waitSeconds { target += "&wait=\(waitSeconds)" }
        return target
    }
    /// `/v1/vaults/{vault}/entries/{entry}/revisions[?before=…][&limit=…]`.
    public static func revisions(_ vault: VaultID, _ entry: EntryID, before: Int64? = nil, limit: Int? = nil) -> String {
        self.vault(vault) + "/entries/\(entry.hex)/revisions" + query(before: before, limit: limit)
    }
    /// `/v1/vaults/{vault}/trash[?before=…][&limit=…]`.
    public static func trash(_ vault: VaultID, before: Int64? = nil, limit: Int? = nil) -> String {
        self.vault(vault) + "/trash" + query(before: before, limit: limit)
    }
    /// `/v1/users/{name}/keys`; user names need no percent-encoding (`UserName`).
    public static func userKeys(_ name: String) -> String { "/v1/users/\(name)/keys" }

    private static func query(before: Int64?, limit: Int?) -> String {
        let parts = [before.map { "before=\($0)" }, limit.map { "limit=\($0)" }].compactMap { $0 }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }
}
