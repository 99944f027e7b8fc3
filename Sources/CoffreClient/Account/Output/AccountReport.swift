import CoffreProtocol
import Foundation

/// The text `coffre` prints for its account commands, and the JSON of `--json`.
public enum AccountReport {
    /// `coffre whoami`: user, server, device, scopes, quota and usage.
    public static func whoami(_ identity: AccountClient.Identity) -> String {
        let account = identity.account
        var lines: [(String, String)] = [
            ("user", "\(account.user.name) (id \(account.user.id))\(account.user.isAdmin ? ", administrator" : "")"),
            ("server", identity.state.server),
            ("device", "\(account.device.name) (id \(account.device.id))"),
            ("scopes", account.scopes.map(\.rawValue).joined(separator: ", ")),
            ("storage", usage(account.user.quota)),
        ]
        if let pin = identity.state.pin { lines.append(("certificate", "SHA256 " + DisplayFormat.fingerprint(pin))) }
        if let caFile = identity.state.caFile { lines.append(("CA file", caFile)) }
        return fields(lines)
    }

    /// A devices table: id, name, user (when `showUser`), scopes, created, last seen, and `*`
    /// for the calling device.
    public static func devices(_ list: DeviceList, showUser: Bool = false) -> String {
        var columns = [TextTable.Column("ID", .right), TextTable.Column("NAME")]
        if showUser { columns.append(TextTable.Column("USER")) }
        columns += [TextTable.Column("SCOPES"), TextTable.Column("CREATED"), TextTable.Column("LAST SEEN"), TextTable.Column("")]
        var table = TextTable(columns)
        for device in list.devices {
            var cells = [String(device.id), device.name]
            if showUser { cells.append(device.userName) }
            cells += [
                device.scopes.map(\.rawValue).joined(separator: ","), DisplayFormat.time(device.createdAt),
                DisplayFormat.time(device.lastSeenAt), device.isCurrent ? "* this device" : "",
            ]
            table.append(cells)
        }
        return table.rowCount == 0 ? "no devices\n" : table.render()
    }

    /// After `setup` or `login`.
    public static func signedIn(_ signIn: AccountClient.SignIn, created: Bool, home: ClientHome) -> String {
        var text = ""
        if let pin = signIn.newPin {
            text += "The server's certificate is now pinned for this device:\n  SHA256 \(DisplayFormat.fingerprint(pin))\n"
            text += "Compare it with: openssl x509 -noout -fingerprint -sha256 -in CERT (on the server).\n"
        }
        let state = signIn.state
        let user = TerminalText.sanitized(state.userName)
        let device = TerminalText.sanitized(state.deviceName)
        text += created ? "Account \(user) is set up on \(state.server).\n" : "Logged in as \(user) on \(state.server).\n"
        text += "This device is \"\(device)\" (id \(state.deviceID)); its state is in \(TerminalText.sanitized(home.stateFile, limit: 4096)).\n"
        return text
    }

    /// `12 MiB used of 10 GiB (0.1%)`, or `12 MiB used, no quota`.
    static func usage(_ quota: QuotaInfo) -> String {
        guard let limit = quota.limitBytes else { return "\(DisplayFormat.bytes(quota.usedBytes)) used, no quota" }
        let percent = limit > 0 ? " (\(Int((Double(quota.usedBytes) / Double(limit) * 100).rounded()))%)" : ""
        return "\(DisplayFormat.bytes(quota.usedBytes)) used of \(DisplayFormat.bytes(limit))\(percent)"
    }

    /// `name   value` lines, names padded to the longest; values sanitized.
    static func fields(_ lines: [(String, String)]) -> String {
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { name, value in
            name + String(repeating: " ", count: width - name.count) + "  " + TerminalText.sanitized(value)
        }.joined(separator: "\n") + "\n"
    }

    /// A wire value as indented JSON with sorted keys (`--json`), ending with a newline.
    public static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
