/// One member of a vault.
public struct VaultMember: Sendable, Codable, Equatable {
    /// The member's user id (the accounts API describes users).
    public var userId: Int64
    /// Their role.
    public var role: VaultRole
    /// The key generations they hold a grant for, ascending.
    public var keyGenerations: [Int64]

    /// One member.
    public init(userId: Int64, role: VaultRole, keyGenerations: [Int64]) {
        self.userId = userId
        self.role = role
        self.keyGenerations = keyGenerations
    }
}

/// The members of a vault, ordered by user id.
public struct MemberList: Sendable, Codable, Equatable {
    /// The vault's current key generation.
    public var keyGeneration: Int64
    /// The members.
    public var members: [VaultMember]

    /// A member list.
    public init(keyGeneration: Int64, members: [VaultMember]) {
        self.keyGeneration = keyGeneration
        self.members = members
    }
}

/// One grant of one key generation (opaque to the server; signed by the granting member).
public struct WrappedVaultKey: Sendable, Codable, Equatable {
    /// The key generation.
    public var generation: Int64
    /// The grant bytes (docs/format.md, "Vault key grants").
    public var wrappedKey: Base64Bytes

    /// One grant.
    public init(generation: Int64, wrappedKey: Base64Bytes) {
        self.generation = generation
        self.wrappedKey = wrappedKey
    }
}

/// Adds a member (owner only).
public struct AddMemberRequest: Sendable, Codable, Equatable {
    /// The user to add.
    public var userId: Int64
    /// Their role.
    public var role: VaultRole
    /// Grants for the current generation (required) and any older ones the new member should
    /// be able to read.
    public var keys: [WrappedVaultKey]

    /// An add-member request.
    public init(userId: Int64, role: VaultRole, keys: [WrappedVaultKey]) {
        self.userId = userId
        self.role = role
        self.keys = keys
    }
}

/// Changes a member's role (owner only).
public struct ChangeRoleRequest: Sendable, Codable, Equatable {
    /// The new role.
    public var role: VaultRole

    /// A role change.
    public init(role: VaultRole) {
        self.role = role
    }
}

/// Starts a new key generation (owner only), e.g. after removing a member: the owner re-wraps
/// the new key for every remaining member.
public struct KeyRotationRequest: Sendable, Codable, Equatable {
    /// Must be the current generation + 1, so two owners rotating at once cannot both succeed.
    public var generation: Int64
    /// Exactly one grant per current member, the caller included.
    public var grants: [MemberGrant]

    /// A rotation request.
    public init(generation: Int64, grants: [MemberGrant]) {
        self.generation = generation
        self.grants = grants
    }
}

/// One member's grant of a new key generation.
public struct MemberGrant: Sendable, Codable, Equatable {
    /// The member.
    public var userId: Int64
    /// Their grant of the new generation.
    public var wrappedKey: Base64Bytes

    /// One grant.
    public init(userId: Int64, wrappedKey: Base64Bytes) {
        self.userId = userId
        self.wrappedKey = wrappedKey
    }
}
