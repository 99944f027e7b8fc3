import CoffreProtocol
import Foundation

/// The text and JSON that the vault and sync commands print. Everything that came from the
/// server or a decrypted record is sanitized (`TerminalText`) before it reaches a terminal.
public enum VaultReport {
    /// One vault in `vault list --json`.
    public struct VaultLine: Encodable, Sendable {
        /// The vault id, 32 hex digits.
        public let id: String
        /// The decrypted name; null when it does not open.
        public let name: String?
        /// This account's role.
        public let role: VaultRole
        /// The vault's current key generation.
        public let keyGeneration: Int64
        /// True when this account holds a grant of the current generation.
        public let holdsCurrentKey: Bool
        /// Commits so far.
        public let seq: Int64
    }

    /// One member in `vault members --json`.
    public struct MemberLine: Encodable, Sendable {
        /// The member's user id.
        public let userId: Int64
        /// Their user name.
        public let userName: String
        /// Their role.
        public let role: VaultRole
        /// The key generations they hold a grant of.
        public let keyGenerations: [Int64]
        /// Their keys' fingerprint (`MemberKeyPins.fingerprint`).
        public let fingerprint: String
        /// True for this account.
        public let isYou: Bool
    }

    /// `vault list` as JSON lines.
    public static func lines(_ vaults: [VaultClient.Vault]) -> [VaultLine] {
        vaults.map { vault in
            VaultLine(
                id: vault.id.hex, name: vault.name, role: vault.summary.role, keyGeneration: vault.summary.keyGeneration,
                holdsCurrentKey: vault.summary.wrappedKey != nil, seq: vault.summary.seq)
        }
    }

    /// `vault list`: name, role, key generation (`*` when this account lacks the current one),
    /// id.
    public static func vaults(_ vaults: [VaultClient.Vault]) -> String {
        var table = TextTable([
            TextTable.Column("NAME"), TextTable.Column("ROLE"), TextTable.Column("KEY GEN", .right), TextTable.Column("ID"),
        ])
        for vault in vaults {
            table.append([
                vault.name ?? "(name does not open)", vault.summary.role.rawValue,
                String(vault.summary.keyGeneration) + (vault.summary.wrappedKey == nil ? " (not granted)" : ""), vault.id.hex,
            ])
        }
        return table.rowCount == 0 ? "no vaults; create one with coffre vault create NAME\n" : table.render()
    }

    /// `vault members` as JSON lines.
    public static func lines(_ members: [VaultClient.Member]) -> [MemberLine] {
        members.map {
            MemberLine(
                userId: $0.userID, userName: $0.userName, role: $0.role, keyGenerations: $0.keyGenerations,
                fingerprint: $0.fingerprint, isYou: $0.isYou)
        }
    }

    /// `vault members`: user, role, key generations held, key fingerprint.
    public static func members(_ members: [VaultClient.Member]) -> String {
        var table = TextTable([
            TextTable.Column("USER"), TextTable.Column("ROLE"), TextTable.Column("KEYS"), TextTable.Column("FINGERPRINT"),
            TextTable.Column(""),
        ])
        for member in members {
            table.append([
                member.userName, member.role.rawValue, member.keyGenerations.map(String.init).joined(separator: ","),
                member.fingerprint, member.isYou ? "* you" : "",
            ])
        }
        return table.render()
    }

    /// After `vault share`.
    public static func shared(_ share: VaultClient.Share, role: VaultRole) -> String {
        let user = TerminalText.sanitized(share.userName)
        var text = "Shared with \(user) (\(role.rawValue)).\n"
        text += "Key fingerprint of \(user): \(share.fingerprint)\n"
        text += share.newlyPinned
            ? "This key is now pinned. Compare the fingerprint with \(user) over another channel (they see it in coffre vault members).\n"
            : "It matches the key pinned earlier.\n"
        return text
    }

    /// After `sync --once` (or one daemon pass on a terminal): what moved, conflicts, skips.
    public static func pass(_ report: SyncReport) -> String {
        var text = "\(report.uploadedFiles) file(s) up (\(DisplayFormat.bytes(report.uploadedBytes)) sent), "
        text += "\(report.downloadedFiles) down (\(DisplayFormat.bytes(report.downloadedBytes)) fetched), "
        text += "\(report.remoteChanges) change(s) committed, \(report.localChanges) applied here.\n"
        for conflict in report.conflicts {
            text += "conflict: \(TerminalText.sanitized(conflict.path)) — your version kept as \(TerminalText.sanitized(conflict.conflictCopy))\n"
        }
        for skip in report.skipped {
            text += "skipped: \(TerminalText.sanitized(skip.path)) (\(reason(skip.reason)))\n"
        }
        text += report.isIdentical && report.conflicts.isEmpty ? "The folder and the vault are identical.\n" : ""
        return text
    }

    /// Why a pass was not a clean one, in a few words without file names.
    public static func incompleteness(_ report: SyncReport) -> String? {
        var reasons: [String] = []
        if !report.conflicts.isEmpty { reasons.append("\(report.conflicts.count) conflict(s)") }
        if !report.skipped.isEmpty {
            let kinds = Set(report.skipped.map { reason($0.reason) }).sorted().joined(separator: ", ")
            reasons.append("\(report.skipped.count) item(s) left out: \(kinds)")
        }
        if reasons.isEmpty && !report.isIdentical { reasons.append("changes still pending after \(report.rounds) round(s)") }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }

    /// The progress line of `coffre sync` on a terminal: `uploading 12/300 files, 3.1 MiB/10 MiB,
    /// 2 MiB/s, 4 s left`. `elapsed` is the time since the phase began; the rate and the time
    /// left appear once half a second has passed and bytes moved.
    public static func progress(_ progress: SyncProgress, elapsed: Duration) -> String {
        let phase: String
        switch progress.phase {
        case .scanning: return "scanning the folder…"
        case .downloading: phase = "downloading"
        case .uploading: phase = "uploading"
        case .committing: phase = "committing"
        }
        var text = "\(phase) \(progress.filesDone)/\(progress.filesTotal) files, "
        text += "\(DisplayFormat.bytes(progress.bytesDone))/\(DisplayFormat.bytes(progress.bytesTotal))"
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        guard seconds >= 0.5, progress.bytesDone > 0 else { return text }
        let rate = Double(progress.bytesDone) / seconds
        text += ", \(DisplayFormat.bytes(Int64(min(rate, 1e15))))/s"
        let left = Double(max(0, progress.bytesTotal - progress.bytesDone)) / rate
        text += ", \(DisplayFormat.duration(seconds: Int64(min(left, 1e9).rounded(.up)))) left"
        return text
    }

    /// A skip reason in words.
    public static func reason(_ reason: SyncSkip.Reason) -> String {
        switch reason {
        case .unreadable(let code): return "unreadable: \(String(cString: strerror(code)))"
        case .changedWhileReading: return "changed while read"
        case .stateUnknown: return "could not be scanned"
        case .nameNotUsable: return "name not usable here"
        case .recordUnreadable: return "record does not open"
        case .nameCollision: return "same name as another once normalized"
        case .parentUnavailable: return "its folder is not synced here"
        case .transferFailed(let detail): return "transfer failed: \(detail)"
        case .localChangeFailed(let detail): return "local change failed: \(detail)"
        case .refusedByServer: return "refused by the server"
        case .readOnlyVault: return "read-only vault: your change stays here"
        }
    }
}
