import CoffreCrypto
import CoffreProtocol

/// The fixed limits and defaults of the account services, in one place (docs/protocol.md lists them).
enum AccountRules {
    /// An invite is valid for 7 days unless the administrator asks otherwise…
    static let defaultInviteValiditySeconds: Int64 = 7 * 86_400
    /// …within 1 hour to 90 days.
    static let inviteValidityRange: ClosedRange<Int64> = 3_600...(90 * 86_400)

    /// authKey = HKDF-SHA256 output, 32 bytes (docs/format.md, "Account keys").
    static let authKeyByteCount = 32
    /// Per-user salt of the authKey hash.
    static let authSaltByteCount = 16

    /// Devices one user may have at once.
    static let maximumDevicesPerUser = 100
    /// Admin API tokens the server keeps at once.
    static let maximumAdminTokens = 100
    /// Device and admin-token names, in bytes of UTF-8 (after NFC).
    static let maximumLabelBytes = 128

    /// Lowest scrypt cost stored: the client's test-only setting (docs/format.md). No real client
    /// accepts less than N = 2^17, so anything below this is a broken or hostile client.
    static let minimumKDFCost = Scrypt.Parameters(n: 1 << 10, r: 8, p: 1)
    /// Highest parallelism stored (the client refuses more, too).
    static let maximumKDFParallelism: UInt32 = 16

    /// The parameters a pre-login reports for a name without an account: the client's standard
    /// setting, which is what real accounts use.
    static let standardKDFCost = Scrypt.Parameters(n: 1 << 17, r: 8, p: 1)

    /// Bounds of a page of the audit log.
    static let defaultAuditPageSize = 100
    static let maximumAuditPageSize = 1_000
}
