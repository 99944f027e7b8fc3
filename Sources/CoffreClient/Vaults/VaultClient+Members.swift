import CoffreCrypto
import CoffreProtocol

/// Creating vaults and managing their members: `coffre vault create`, `share`, `members`,
/// `unshare` (docs/protocol.md, "Sharing, in order").
extension VaultClient {
    /// A member as `vault members` shows it.
    public struct Member: Sendable {
        /// The member's user id.
        public let userID: Int64
        /// Their user name.
        public let userName: String
        /// Their role.
        public let role: VaultRole
        /// The key generations they hold a grant of.
        public let keyGenerations: [Int64]
        /// The fingerprint of the member's public keys (`MemberKeyPins.fingerprint`).
        public let fingerprint: String
        /// True for this account.
        public let isYou: Bool
    }

    /// What `vault share` did: the member's user and the fingerprint of the key it wrapped to.
    public struct Share: Sendable {
        /// The new member's user id.
        public let userID: Int64
        /// Their user name.
        public let userName: String
        public let fingerprint: String
        /// True when the member's keys were seen for the first time (pinned now).
        public let newlyPinned: Bool
    }

    /// Creates a vault called `name`: a fresh random id and generation-1 root key, the name
    /// sealed under it, the key granted to this account (wrapped to its own X25519 key and
    /// signed with its own signing key).
    public func create(named name: String) async throws(VaultError) -> Vault {
        let name = Self.normalized(name)
        if try await vaults().contains(where: { $0.name == name }) { throw .nameTaken }
        let request: CreateVaultRequest
        do {
            let id = try OpaqueID.random()
            let key = try VaultKey.generate(vaultID: id, generation: 1)
            let sealedName = try VaultNameCipher(key: key).seal(name)
            let grant = try VaultKeyGrant.issue(key, to: agreement.publicKey, signedBy: signing)
            guard let vaultID = VaultID(bytes: id.bytes) else { throw VaultError.grantRefused("vault id") }
            request = CreateVaultRequest(vaultId: vaultID, name: Base64Bytes(sealedName), wrappedKey: Base64Bytes(grant.encoded))
        } catch let error as VaultError {
            throw error
        } catch let error as CryptoFormatError {
            if case .invalidName(let reason) = error { throw .invalidName(reason) }
            throw .grantRefused(error.description)
        } catch {
            throw .grantRefused("\(error)")
        }
        let summary = try await call("create the vault") { () async throws(APIClientError) in try await api.createVault(request) }
        return Vault(summary: summary, name: name)
    }

    /// Shares `vault` with the user called `userName` as `role`: their public keys are checked
    /// against the pin (or pinned), and every key generation this account holds is wrapped to
    /// them and signed.
    public func share(_ vault: Vault, with userName: String, role: VaultRole) async throws(VaultError) -> Share {
        guard vault.summary.role == .owner else { throw .notOwner }
        let keys: UserPublicKeys
        do {
            keys = try await api.userKeys(named: userName)
        } catch {
            // 404 for an unknown name and for one whose invite is not redeemed (protocol.md);
            // a malformed name is refused before any request.
            if error.code == .notFound || error.code == nil && UserName(rawValue: userName) == nil { throw .unknownUser }
            throw .api(operation: "look the user up", error)
        }
        var pins = try MemberKeyPins(home: home)
        let newlyPinned = try pins.check(keys)
        let recipient: X25519.PublicKey
        do { recipient = try X25519.PublicKey(rawRepresentation: keys.x25519PublicKey.bytes) } catch {
            throw .grantRefused("the user's public key is not usable")
        }
        var grants: [WrappedVaultKey] = []
        for key in try await heldKeys(of: vault.id, pins: &pins) {
            do {
                let grant = try VaultKeyGrant.issue(key, to: recipient, signedBy: signing)
                grants.append(WrappedVaultKey(generation: Int64(key.generation), wrappedKey: Base64Bytes(grant.encoded)))
            } catch {
                throw .grantRefused(error.description)
            }
        }
        try pins.save()
        let request = AddMemberRequest(userId: keys.userId, role: role, keys: grants)
        try await call("add the member") { () async throws(APIClientError) in try await api.addMember(vault.id, request) }
        return Share(
            userID: keys.userId, userName: keys.userName,
            fingerprint: MemberKeyPins.fingerprint(x25519: keys.x25519PublicKey.bytes, ed25519: keys.ed25519PublicKey.bytes),
            newlyPinned: newlyPinned)
    }

    /// The vault's members with their names and key fingerprints (checked against the pins).
    public func members(of vault: Vault) async throws(VaultError) -> [Member] {
        let list = try await call("list the members") { () async throws(APIClientError) in try await api.members(vault.id) }
        var pins = try MemberKeyPins(home: home)
        var members: [Member] = []
        for member in list.members {
            let keys = try await call("read a member's keys") { () async throws(APIClientError) in
                try await api.memberKeys(vault.id, user: member.userId)
            }
            let isYou = member.userId == state.userID
            if isYou {
                guard keys.x25519PublicKey == state.keys.x25519PublicKey, keys.ed25519PublicKey == state.keys.ed25519PublicKey else {
                    throw .memberKeyChanged(userID: member.userId)
                }
            } else {
                try pins.check(keys)
            }
            members.append(Member(
                userID: member.userId, userName: keys.userName, role: member.role, keyGenerations: member.keyGenerations,
                fingerprint: MemberKeyPins.fingerprint(x25519: keys.x25519PublicKey.bytes, ed25519: keys.ed25519PublicKey.bytes),
                isYou: isYou))
        }
        try pins.save()
        return members
    }

    /// Removes the user called `userName` from `vault`, then starts a new key generation
    /// granted to every remaining member, so content written from now on is sealed under a key
    /// the removed member never held (DESIGN §6). Returns the new generation.
    @discardableResult
    public func unshare(_ vault: Vault, with userName: String) async throws(VaultError) -> Int64 {
        guard vault.summary.role == .owner else { throw .notOwner }
        let members = try await self.members(of: vault)
        guard let removed = members.first(where: { $0.userName == userName && !$0.isYou }) else { throw .notAMember }
        try await call("remove the member") { () async throws(APIClientError) in try await api.removeMember(vault.id, user: removed.userID) }
        return try await rotateKey(of: vault, members: members.filter { $0.userID != removed.userID })
    }

    /// Grants a fresh root key of the next generation to each of `members` (their pinned
    /// X25519 keys; this account's own key for itself).
    private func rotateKey(of vault: Vault, members: [Member]) async throws(VaultError) -> Int64 {
        let current = try await call("list the members") { () async throws(APIClientError) in try await api.members(vault.id) }
        let next = current.keyGeneration + 1
        let pins = try MemberKeyPins(home: home)
        var grants: [MemberGrant] = []
        do {
            guard let number = UInt32(exactly: next) else { throw VaultError.grantRefused("impossible key generation") }
            let key = try VaultKey.generate(vaultID: try OpaqueID(bytes: vault.id.bytes), generation: number)
            for member in members {
                let publicKey = member.isYou ? state.keys.x25519PublicKey.bytes : pins.pins[member.userID]?.x25519PublicKey.bytes
                guard let publicKey else { throw VaultError.grantRefused("a member's key is not pinned") }
                let grant = try VaultKeyGrant.issue(key, to: try X25519.PublicKey(rawRepresentation: publicKey), signedBy: signing)
                grants.append(MemberGrant(userId: member.userID, wrappedKey: Base64Bytes(grant.encoded)))
            }
        } catch let error as VaultError {
            throw error
        } catch {
            throw .grantRefused("\(error)")
        }
        let request = KeyRotationRequest(generation: next, grants: grants)
        return try await call("start a new key generation") { () async throws(APIClientError) in try await api.rotateKey(vault.id, request) }
    }

    /// Every generation of `vault`'s key this account holds, its grants verified.
    func heldKeys(of vault: VaultID, pins: inout MemberKeyPins) async throws(VaultError) -> [VaultKey] {
        let grants = try await call("read the vault keys") { () async throws(APIClientError) in try await api.vaultKeys(vault) }
        var keys: [VaultKey] = []
        for grant in grants.keys {
            keys.append(try await openGrant(grant, vault: vault, pins: &pins))
        }
        guard !keys.isEmpty else { throw .grantRefused("this account holds no key of the vault") }
        return keys
    }
}
