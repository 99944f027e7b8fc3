import CoffreCrypto
import SQLiteStore

extension ServerDatabase {
    /// Length of every server secret.
    static let secretByteCount = 32

    /// The random secret called `name`, generated on first use (32 bytes from the CSPRNG) and
    /// kept in `server_secrets`. Concurrent first calls agree: the insert is `INSERT OR IGNORE`
    /// and the value is read back in the same transaction.
    func secret(named name: String) async throws -> SecretBytes {
        var fresh = try SecureRandom.bytes(count: Self.secretByteCount)
        defer { SecretBytes.wipe(&fresh) }
        var stored = try await queue.write { [fresh] db -> [UInt8] in
            try db.execute("INSERT OR IGNORE INTO server_secrets(name, value) VALUES (?, ?)", [name, fresh])
            guard let value = try db.fetchValue("SELECT value FROM server_secrets WHERE name = ?", [name], as: [UInt8].self),
                value.count == Self.secretByteCount
            else { throw SQLiteError.misuse("server secret \(name) is missing or has the wrong length") }
            return value
        }
        defer { SecretBytes.wipe(&stored) }
        return SecretBytes(copying: stored)
    }
}
