/// A member's role in a vault. Every member can read; `write` can also commit; `owner` can also
/// rename and delete the vault, manage members and start a new key generation.
public enum VaultRole: String, Sendable, Codable, CaseIterable, Comparable {
    /// Reads the feed, history and trash.
    case read
    /// Also commits and uploads blobs.
    case write
    /// Also manages the vault, its members and its keys.
    case owner

    /// True when this role includes everything `other` may do.
    public func includes(_ other: VaultRole) -> Bool { self >= other }

    /// read < write < owner.
    public static func < (lhs: VaultRole, rhs: VaultRole) -> Bool {
        lhs.rank < rhs.rank
    }

    private var rank: Int {
        switch self {
        case .read: return 0
        case .write: return 1
        case .owner: return 2
        }
    }
}
