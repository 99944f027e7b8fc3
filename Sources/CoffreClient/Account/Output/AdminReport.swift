import CoffreProtocol

/// The text `coffre-admin` prints (its `--json` output is `AccountReport.json` of the wire
/// value).
public enum AdminReport {
    /// `user list`.
    public static func users(_ list: UserList) -> String {
        var table = TextTable([
            .init("NAME"), .init("ID", .right), .init("STATE"), .init("ADMIN"), .init("USED", .right), .init("QUOTA", .right),
            .init("CREATED"),
        ])
        for user in list.users {
            table.append([
                user.name, String(user.id), state(of: user), user.isAdmin ? "yes" : "", DisplayFormat.bytes(user.quota.usedBytes),
                DisplayFormat.quota(user.quota.limitBytes), DisplayFormat.time(user.createdAt),
            ])
        }
        return table.rowCount == 0 ? "no users\n" : table.render()
    }

    /// `user show NAME`: the user, then their devices.
    public static func user(_ detail: UserDetail) -> String {
        let user = detail.user
        var lines: [(String, String)] = [
            ("user", "\(user.name) (id \(user.id))"),
            ("state", state(of: user)),
            ("administrator", user.isAdmin ? "yes" : "no"),
            ("storage", AccountReport.usage(user.quota)),
            ("created", DisplayFormat.time(user.createdAt)),
        ]
        if let expiry = detail.inviteExpiresAt { lines.append(("invite expires", DisplayFormat.time(expiry))) }
        return AccountReport.fields(lines) + "\n" + AccountReport.devices(DeviceList(devices: detail.devices))
    }

    /// One user after `disable`, `enable` or `quota`.
    public static func userLine(_ user: UserInfo) -> String {
        AccountReport.fields([
            ("user", "\(user.name) (id \(user.id))"), ("state", state(of: user)), ("storage", AccountReport.usage(user.quota)),
        ])
    }

    /// After `user add`: the invite and the exact command to hand to the person.
    public static func createdUser(_ created: CreateUserResponse, server: ServerURL) -> String {
        "Created user \(TerminalText.sanitized(created.user.name)) (id \(created.user.id)).\n" + invite(created.invite, server: server)
    }

    /// An invite: the code (shown once), its expiry and the `coffre account setup` command.
    public static func invite(_ invite: InviteInfo, server: ServerURL) -> String {
        let name = TerminalText.sanitized(invite.userName)
        let code = TerminalText.sanitized(invite.code)
        return """
            Invite code for \(name), valid until \(DisplayFormat.time(invite.expiresAt)) (shown only now):
              \(code)
            Give \(name) this command, through a channel you trust:
              coffre account setup --server \(server) --user \(name) --invite \(code)

            """
    }

    /// `audit`: newest first.
    public static func audit(_ entries: [AuditEntry]) -> String {
        var table = TextTable([
            .init("ID", .right), .init("TIME"), .init("EVENT"), .init("USER"), .init("DEVICE", .right), .init("BY"), .init("DETAIL"),
        ])
        for entry in entries {
            let user = entry.userName ?? entry.userID.map { "#\($0)" } ?? ""
            let actor = entry.actorID.map { "\(entry.actor.rawValue) #\($0)" } ?? entry.actor.rawValue
            table.append([
                String(entry.id), DisplayFormat.time(entry.at), entry.event.rawValue, user, entry.deviceID.map(String.init) ?? "", actor,
                entry.detail ?? "",
            ])
        }
        return table.rowCount == 0 ? "no audit entries\n" : table.render()
    }

    /// `stats`.
    public static func stats(_ stats: ServerStats) -> String {
        let accounts = stats.accounts
        return AccountReport.fields([
            ("users", String(accounts.users)),
            ("registered", String(accounts.registeredUsers)),
            ("disabled", String(accounts.disabledUsers)),
            ("administrators", String(accounts.adminUsers)),
            ("pending invites", String(accounts.pendingInvites)),
            ("devices", String(accounts.devices)),
            ("admin tokens", String(accounts.adminTokens)),
            ("stored", DisplayFormat.bytes(accounts.usedBytes)),
        ])
    }

    /// `token list`.
    public static func tokens(_ list: AdminTokenList) -> String {
        var table = TextTable([.init("ID", .right), .init("NAME"), .init("CREATED"), .init("LAST SEEN")])
        for token in list.tokens {
            table.append([String(token.id), token.name, DisplayFormat.time(token.createdAt), DisplayFormat.time(token.lastSeenAt)])
        }
        return table.rowCount == 0 ? "no admin tokens\n" : table.render()
    }

    /// After `token create`: the secret, shown once.
    public static func createdToken(_ created: CreateAdminTokenResponse) -> String {
        """
        Created admin token \(created.info.id) "\(TerminalText.sanitized(created.info.name))" (shown only now):
          \(TerminalText.sanitized(created.token))

        """
    }

    /// `throttle list`.
    public static func throttle(_ status: ThrottleStatus) -> String {
        var table = TextTable([.init("NAME"), .init("FAILURES", .right), .init("BLOCKED FOR", .right)])
        for account in status.accounts {
            table.append([
                account.userName, String(account.failures),
                account.retryAfterSeconds > 0 ? DisplayFormat.duration(seconds: Int64(account.retryAfterSeconds)) : "-",
            ])
        }
        let names = table.rowCount == 0 ? "no names with failed logins\n" : table.render()
        return names + "addresses with failures: \(status.addressCount), blocked now: \(status.blockedAddressCount)\n"
    }

    /// `invited`, `registered`, or `disabled`.
    static func state(of user: UserInfo) -> String {
        if user.isDisabled { return "disabled" }
        return user.isRegistered ? "registered" : "invited"
    }
}
