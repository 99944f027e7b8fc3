/// The paths of the account and admin routes, for clients building requests and for the
/// server's router (the `…Pattern` constants hold `{name}` parameters).
public enum AccountsPath {
    /// `POST`: KDF parameters for a user name.
    public static let prelogin = "/v1/auth/prelogin"
    /// `POST`: redeem an invite.
    public static let register = "/v1/auth/register"
    /// `POST`: create a device and its token.
    public static let login = "/v1/auth/login"
    /// `POST`: revoke the calling device.
    public static let logout = "/v1/auth/logout"

    /// `GET`: who am I.
    public static let account = "/v1/account"
    /// `GET`: my devices.
    public static let devices = "/v1/account/devices"
    /// `DELETE`: revoke one of my devices.
    public static let devicePattern = "/v1/account/devices/{id}"
    /// `POST`: change my password.
    public static let password = "/v1/account/password"
    /// `GET`: my audit trail (`?since=&before=&limit=`).
    public static let audit = "/v1/account/audit"
    /// `GET`: everything the server holds about me, as a tar stream.
    public static let export = "/v1/account/export"
    /// `POST`: delete my account.
    public static let delete = "/v1/account/delete"

    /// `GET` list, `POST` create.
    public static let adminUsers = "/v1/admin/users"
    /// `GET` show, `DELETE` delete.
    public static let adminUserPattern = "/v1/admin/users/{name}"
    /// `POST`: disable.
    public static let adminUserDisablePattern = "/v1/admin/users/{name}/disable"
    /// `POST`: enable.
    public static let adminUserEnablePattern = "/v1/admin/users/{name}/enable"
    /// `PUT`: set the quota.
    public static let adminUserQuotaPattern = "/v1/admin/users/{name}/quota"
    /// `POST`: re-issue the invite.
    public static let adminUserInvitePattern = "/v1/admin/users/{name}/invite"
    /// `GET`: all devices, or one user's (`?user=NAME`).
    public static let adminDevices = "/v1/admin/devices"
    /// `DELETE`: revoke any device.
    public static let adminDevicePattern = "/v1/admin/devices/{id}"
    /// `GET`: the audit log (`?user=&since=&before=&limit=`).
    public static let adminAudit = "/v1/admin/audit"
    /// `GET` status, `DELETE` clear everything.
    public static let adminThrottle = "/v1/admin/throttle"
    /// `DELETE`: clear one account name.
    public static let adminThrottleAccountPattern = "/v1/admin/throttle/accounts/{name}"
    /// `GET` list, `POST` create.
    public static let adminTokens = "/v1/admin/tokens"
    /// `DELETE`: revoke.
    public static let adminTokenPattern = "/v1/admin/tokens/{id}"
    /// `GET`: server figures.
    public static let adminStats = "/v1/admin/stats"

    /// `/v1/account/devices/{id}`.
    public static func device(_ id: Int64) -> String { "/v1/account/devices/\(id)" }
    /// `/v1/admin/users/{name}`; user names need no percent-encoding (`UserName`).
    public static func adminUser(_ name: String) -> String { "/v1/admin/users/\(name)" }
    /// `/v1/admin/users/{name}/disable`.
    public static func adminUserDisable(_ name: String) -> String { adminUser(name) + "/disable" }
    /// `/v1/admin/users/{name}/enable`.
    public static func adminUserEnable(_ name: String) -> String { adminUser(name) + "/enable" }
    /// `/v1/admin/users/{name}/quota`.
    public static func adminUserQuota(_ name: String) -> String { adminUser(name) + "/quota" }
    /// `/v1/admin/users/{name}/invite`.
    public static func adminUserInvite(_ name: String) -> String { adminUser(name) + "/invite" }
    /// `/v1/admin/devices/{id}`.
    public static func adminDevice(_ id: Int64) -> String { "/v1/admin/devices/\(id)" }
    /// `/v1/admin/throttle/accounts/{name}`.
    public static func adminThrottleAccount(_ name: String) -> String { "/v1/admin/throttle/accounts/\(name)" }
    /// `/v1/admin/tokens/{id}`.
    public static func adminToken(_ id: Int64) -> String { "/v1/admin/tokens/\(id)" }
}
