/// What a device token may do. A token carries a set of scopes chosen at login.
public enum Scope: String, Codable, Sendable, CaseIterable, Comparable {
    /// Read and write the user's own data and manage the account (devices, password, deletion).
    case sync
    /// Read the user's own data and account information; no change of any kind except logging out.
    case read
    /// Use the admin API. Granted only to users flagged as administrators.
    case admin

    public static func < (lhs: Scope, rhs: Scope) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
