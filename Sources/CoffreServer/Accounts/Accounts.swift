import CoffreCrypto
import CoffreProtocol
import Logging
import Synchronization

/// The account services of the server (issue 3): invites and registration, pre-login, login
/// and devices, bearer-token authentication, brute-force throttling, quotas, the audit log,
/// password change, export and erasure of an account, and the administration of users and
/// admin tokens.
///
/// One instance per server, shared by every request. Its methods check their inputs, do their
/// work in single SQLite transactions (with the audit entry in the same transaction), and throw
/// only `APIError`. The HTTP routes over them are in `AccountsAPI`.
public final class Accounts: Sendable {
    /// The database.
    public let database: ServerDatabase
    /// Bearer-token authentication, with its in-memory cache.
    public let authenticator: TokenAuthenticator
    /// Failed-attempt throttling.
    public let throttle: LoginThrottle
    /// Quota reservations for the blob layer.
    public let quotas: QuotaService
    /// Settings from the server configuration.
    public let settings: AccountSettings

    let store: AccountStore
    let clock: ServerClock
    let logger: Logger
    /// Key of the fake pre-login salts (`server_secrets.prelogin`).
    let preloginSecret: SecretBytes
    private let extensions = Mutex(AccountExtensions())

    /// Opens the services over `database`, creating the server's pre-login secret on first use.
    public static func open(
        database: ServerDatabase, settings: AccountSettings, clock: ServerClock = .system,
        throttlePolicy: LoginThrottle.Policy = LoginThrottle.Policy(), logger: Logger
    ) async throws(APIError) -> Accounts {
        let store = AccountStore(database: database, logger: logger)
        let secret: SecretBytes
        do {
            secret = try await database.secret(named: "prelogin")
        } catch {
            throw store.mapped(error, "load the pre-login secret")
        }
        return Accounts(
            database: database, store: store, settings: settings, clock: clock, throttlePolicy: throttlePolicy,
            logger: logger, preloginSecret: secret)
    }

    private init(
        database: ServerDatabase, store: AccountStore, settings: AccountSettings, clock: ServerClock,
        throttlePolicy: LoginThrottle.Policy, logger: Logger, preloginSecret: SecretBytes
    ) {
        self.database = database
        self.store = store
        self.settings = settings
        self.clock = clock
        self.logger = logger
        self.preloginSecret = preloginSecret
        self.authenticator = TokenAuthenticator(store: store, clock: clock)
        self.throttle = LoginThrottle(policy: throttlePolicy, clock: clock)
        self.quotas = QuotaService(store: store)
    }

    /// Adds work to run when an account is deleted (the sync engine's vaults and blobs).
    public func addErasureHook(_ hook: any AccountErasureHook) {
        extensions.withLock { $0.erasureHooks.append(hook) }
    }

    /// Adds files to every account export (the sync engine's vaults and blobs).
    public func addExportContributor(_ contributor: any AccountExportContributor) {
        extensions.withLock { $0.exportContributors.append(contributor) }
    }

    /// Adds a section to the admin `stats` (the sync engine's storage figures).
    public func addStatsContributor(_ contributor: any ServerStatsContributor) {
        extensions.withLock { $0.statsContributors.append(contributor) }
    }

    var erasureHooks: [any AccountErasureHook] { extensions.withLock { $0.erasureHooks } }
    var exportContributors: [any AccountExportContributor] { extensions.withLock { $0.exportContributors } }
    var statsContributors: [any ServerStatsContributor] { extensions.withLock { $0.statsContributors } }
}

/// What other parts of the server plug into the account services.
private struct AccountExtensions {
    var erasureHooks: [any AccountErasureHook] = []
    var exportContributors: [any AccountExportContributor] = []
    var statsContributors: [any ServerStatsContributor] = []
}
