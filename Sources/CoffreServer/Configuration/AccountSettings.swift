/// Account settings (`accounts.*`).
public struct AccountSettings: Sendable, Equatable {
    /// Storage quota given to each new user (`accounts.defaultQuotaBytes`); nil (`null` or
    /// `unlimited` in the file) means no limit. An administrator can change any user's quota.
    public var defaultQuotaBytes: Int64?

    /// A value with the given fields.
    public init(defaultQuotaBytes: Int64? = nil) {
        self.defaultQuotaBytes = defaultQuotaBytes
    }

    func validate() throws(ConfigurationError) {
        if let defaultQuotaBytes, defaultQuotaBytes < 0 {
            throw .invalid(key: "accounts.defaultQuotaBytes", reason: "must be 0 or more, or unlimited")
        }
    }
}
