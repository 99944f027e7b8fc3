import SQLiteStore

/// Migration 0001: the accounts tables. Every table is STRICT (https://sqlite.org/stricttables.html)
/// so a value of the wrong type is refused instead of stored; ids that other tables or the audit
/// log refer to use AUTOINCREMENT, so an id is never handed out twice, even after the row with
/// the largest id is deleted (https://sqlite.org/autoinc.html).
///
/// What is deliberately not here: passwords (never sent), authKeys (only an HMAC of them), bearer
/// tokens and invite codes (only their SHA-256), IP addresses (nowhere on disk).
enum AccountsSchema {
    static let migration = Migration(version: 1, name: "accounts", sql: sql)

    static let sql = """
        -- Named random values the server generates once (the pre-login secret).
        CREATE TABLE server_secrets (
            name TEXT PRIMARY KEY,
            value BLOB NOT NULL
        ) STRICT, WITHOUT ROWID;

        -- Counters the server keeps about itself.
        CREATE TABLE server_counters (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL DEFAULT 0
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE users (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            is_admin INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
            is_disabled INTEGER NOT NULL DEFAULT 0 CHECK (is_disabled IN (0, 1)),
            created_at INTEGER NOT NULL,
            -- NULL = unlimited.
            quota_bytes INTEGER CHECK (quota_bytes IS NULL OR quota_bytes >= 0),
            -- Maintained by the blob layer through QuotaService.
            used_bytes INTEGER NOT NULL DEFAULT 0 CHECK (used_bytes >= 0)
        ) STRICT;

        -- Present once the user has redeemed the invite. The KDF salt and parameters are the
        -- client's; auth_hash = HMAC-SHA256(key: auth_salt, authKey).
        CREATE TABLE user_credentials (
            user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            kdf_n INTEGER NOT NULL,
            kdf_r INTEGER NOT NULL,
            kdf_p INTEGER NOT NULL,
            kdf_salt BLOB NOT NULL CHECK (length(kdf_salt) = 16),
            auth_salt BLOB NOT NULL CHECK (length(auth_salt) = 16),
            auth_hash BLOB NOT NULL CHECK (length(auth_hash) = 32),
            x25519_public BLOB NOT NULL CHECK (length(x25519_public) = 32),
            ed25519_public BLOB NOT NULL CHECK (length(ed25519_public) = 32),
            wrapped_x25519 BLOB NOT NULL,
            wrapped_ed25519 BLOB NOT NULL,
            registered_at INTEGER NOT NULL,
            password_changed_at INTEGER NOT NULL
        ) STRICT;

        -- code_hash = SHA-256 of the invite code text.
        CREATE TABLE invites (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            code_hash BLOB NOT NULL UNIQUE CHECK (length(code_hash) = 32),
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX invites_by_user ON invites(user_id);

        -- One row per login. token_hash = SHA-256 of the bearer token text; scopes is a bit set
        -- (1 sync, 2 read, 4 admin). last_seen_at is written at most once a minute.
        CREATE TABLE devices (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
            scopes INTEGER NOT NULL CHECK (scopes BETWEEN 1 AND 7),
            created_at INTEGER NOT NULL,
            last_seen_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX devices_by_user ON devices(user_id);

        CREATE TABLE admin_tokens (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
            created_at INTEGER NOT NULL,
            last_seen_at INTEGER NOT NULL
        ) STRICT;

        -- The audit log. user_id is the user the entry is about; it has no foreign key so the
        -- "user_deleted" entry can outlive the user (their other entries are erased with them).
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at INTEGER NOT NULL,
            event TEXT NOT NULL,
            user_id INTEGER,
            device_id INTEGER,
            actor TEXT NOT NULL,
            actor_id INTEGER,
            detail TEXT
        ) STRICT;
        CREATE INDEX audit_by_user ON audit(user_id, id);
        CREATE INDEX audit_by_time ON audit(at);
        """
}
