import CoffreProtocol
import SQLiteStore

/// SQL and row decoding shared by the account services.
enum AccountRows {
    /// Columns of `user(_:)`, from `userSource`.
    static let userColumns = """
        u.id, u.name, u.is_admin, u.is_disabled, u.created_at, u.quota_bytes, u.used_bytes,
        c.user_id IS NOT NULL
        """
    static let userSource = "users u LEFT JOIN user_credentials c ON c.user_id = u.id"

    static func user(_ row: Row) throws -> UserInfo {
        UserInfo(
            id: try row.int64(at: 0), name: try row.string(at: 1), isAdmin: try Bool.read(from: row, at: 2),
            isRegistered: try Bool.read(from: row, at: 7), isDisabled: try Bool.read(from: row, at: 3),
            createdAt: try row.int64(at: 4),
            quota: QuotaInfo(limitBytes: try Int64?.read(from: row, at: 5), usedBytes: try row.int64(at: 6)))
    }

    static func user(named name: String, in db: Connection) throws -> UserInfo? {
        try db.fetchOne("SELECT \(userColumns) FROM \(userSource) WHERE u.name = ?", [name], user)
    }

    static func user(id: Int64, in db: Connection) throws -> UserInfo? {
        try db.fetchOne("SELECT \(userColumns) FROM \(userSource) WHERE u.id = ?", [id], user)
    }

    /// The user called `name`, or `not_found`.
    static func existingUser(named name: String, in db: Connection) throws -> UserInfo {
        guard let user = try user(named: name, in: db) else { throw APIError.notFound("user") }
        return user
    }

    /// Columns of `device(_:currentDeviceID:)`, from `deviceSource`.
    static let deviceColumns = "d.id, d.user_id, u.name, d.name, d.scopes, d.created_at, d.last_seen_at"
    static let deviceSource = "devices d JOIN users u ON u.id = d.user_id"

    static func device(_ row: Row, currentDeviceID: Int64?) throws -> DeviceInfo {
        let id = try row.int64(at: 0)
        return DeviceInfo(
            id: id, userID: try row.int64(at: 1), userName: try row.string(at: 2), name: try row.string(at: 3),
            scopes: ScopeBits.decode(try row.int64(at: 4)).sorted(), createdAt: try row.int64(at: 5),
            lastSeenAt: try row.int64(at: 6), isCurrent: id == currentDeviceID)
    }

    static func devices(ofUser userID: Int64, currentDeviceID: Int64?, in db: Connection) throws -> [DeviceInfo] {
        try db.fetchAll(
            "SELECT \(deviceColumns) FROM \(deviceSource) WHERE d.user_id = ? ORDER BY d.id", [userID]
        ) { try device($0, currentDeviceID: currentDeviceID) }
    }

    /// One device of `userID`, or nil.
    static func device(id: Int64, ofUser userID: Int64, currentDeviceID: Int64?, in db: Connection) throws -> DeviceInfo? {
        try db.fetchOne(
            "SELECT \(deviceColumns) FROM \(deviceSource) WHERE d.id = ? AND d.user_id = ?", [id, userID]
        ) { try device($0, currentDeviceID: currentDeviceID) }
    }

    static func keyMaterial(ofUser userID: Int64, in db: Connection) throws -> AccountKeyMaterial? {
        try db.fetchOne(
            "SELECT x25519_public, ed25519_public, wrapped_x25519, wrapped_ed25519 FROM user_credentials WHERE user_id = ?",
            [userID]
        ) { row in
            AccountKeyMaterial(
                x25519PublicKey: try row.blob(at: 0), ed25519PublicKey: try row.blob(at: 1),
                wrappedX25519PrivateKey: try row.blob(at: 2), wrappedEd25519PrivateKey: try row.blob(at: 3))
        }
    }

    static func kdf(ofUser userID: Int64, in db: Connection) throws -> ScryptParameters? {
        try db.fetchOne("SELECT kdf_n, kdf_r, kdf_p, kdf_salt FROM user_credentials WHERE user_id = ?", [userID]) { row in
            // The file is untrusted: values out of range are an error, not a trap.
            guard let n = UInt64(exactly: try row.int64(at: 0)), let r = UInt32(exactly: try row.int64(at: 1)),
                let p = UInt32(exactly: try row.int64(at: 2))
            else { throw SQLiteError.typeMismatch(column: "kdf", expected: "unsigned 32/64-bit", found: "out of range") }
            return ScryptParameters(n: n, r: r, p: p, salt: try row.blob(at: 3))
        }
    }
}
