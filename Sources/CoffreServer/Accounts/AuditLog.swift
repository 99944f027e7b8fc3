import CoffreProtocol
import SQLiteStore

/// Writes and reads the `audit` table. Entries are written inside the transaction of the change
/// they describe, so an audited change and its entry commit or roll back together.
///
/// What goes in: the event kind, the user it is about, a device id, who did it, and a short
/// detail (a device or token name, a quota). Never IP addresses, file or vault identifiers,
/// tokens, keys or hashes.
enum AuditLog {
    /// Who caused an event.
    enum Actor: Sendable, Equatable {
        case user
        case admin(AdminActor)
        case system

        var kind: AuditActorKind {
            switch self {
            case .user: .user
            case .admin(.user): .adminUser
            case .admin(.token): .adminToken
            case .system: .system
            }
        }

        var id: Int64? {
            switch self {
            case .admin(.user(let id)), .admin(.token(let id)): id
            case .user, .system: nil
            }
        }
    }

    /// Appends one entry.
    static func record(
        _ event: AuditEventKind, at time: Int64, userID: Int64? = nil, deviceID: Int64? = nil, actor: Actor,
        detail: String? = nil, in db: Connection
    ) throws {
        try db.execute(
            "INSERT INTO audit(at, event, user_id, device_id, actor, actor_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [time, event.rawValue, userID, deviceID, actor.kind.rawValue, actor.id, detail])
    }

    /// A filter over the log.
    struct Query: Sendable {
        /// Only entries about this user.
        var userID: Int64?
        /// Only entries at or after this time (Unix seconds).
        var since: Int64?
        /// Only entries with a smaller id (paging back).
        var before: Int64?
        /// Page size, 1…`AccountRules.maximumAuditPageSize`.
        var limit: Int
    }

    /// Entries matching `query`, newest first, and the cursor of the next page.
    static func page(_ query: Query, in db: Connection) throws -> AuditPage {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let userID = query.userID {
            conditions.append("a.user_id = ?")
            arguments.append(userID)
        }
        if let since = query.since {
            conditions.append("a.at >= ?")
            arguments.append(since)
        }
        if let before = query.before {
            conditions.append("a.id < ?")
            arguments.append(before)
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments.append(query.limit + 1)
        var entries = try db.fetchAll(
            """
            SELECT a.id, a.at, a.event, a.user_id, u.name, a.device_id, a.actor, a.actor_id, a.detail
            FROM audit a LEFT JOIN users u ON u.id = a.user_id \(filter) ORDER BY a.id DESC LIMIT ?
            """, arguments, entry)
        var next: Int64?
        if entries.count > query.limit {
            entries.removeLast()
            next = entries.last?.id
        }
        return AuditPage(entries: entries, nextBefore: next)
    }

    private static func entry(_ row: Row) throws -> AuditEntry {
        let actorText = try row.string(at: 6)
        return AuditEntry(
            id: try row.int64(at: 0), at: try row.int64(at: 1), event: AuditEventKind(rawValue: try row.string(at: 2)),
            userID: try Int64?.read(from: row, at: 3), userName: try String?.read(from: row, at: 4),
            deviceID: try Int64?.read(from: row, at: 5), actor: AuditActorKind(rawValue: actorText) ?? .system,
            actorID: try Int64?.read(from: row, at: 7), detail: try String?.read(from: row, at: 8))
    }
}
