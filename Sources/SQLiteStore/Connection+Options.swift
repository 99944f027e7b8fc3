import CSQLite

extension Connection {
    /// How a connection opens its file and which pragmas it applies on open.
    public struct Options: Sendable, Equatable {
        /// How the file is opened (https://sqlite.org/c3ref/open.html).
        public enum Access: Sendable, Equatable {
            /// `SQLITE_OPEN_READONLY`: every write fails with `SQLITE_READONLY`.
            case readOnly
            /// `SQLITE_OPEN_READWRITE`: the file must already exist.
            case readWrite
            /// `SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE`.
            case readWriteCreate
        }

        /// `PRAGMA synchronous` (https://sqlite.org/pragma.html#pragma_synchronous).
        public enum Synchronous: String, Sendable, Equatable {
            /// Every commit is durable once it returns: the server acknowledges commits.
            case full = "FULL"
            /// In WAL mode a power loss can roll back the last commits but never corrupts:
            /// enough for the client's rebuildable local index.
            case normal = "NORMAL"

            var pragmaValue: Int64 { self == .full ? 2 : 1 }
        }

        /// How the file is opened. Default: read-write, created if missing.
        public var access: Access
        /// Durability of commits. Default: `.full`.
        public var synchronous: Synchronous
        /// How long a statement waits for another connection's lock before failing with
        /// `SQLITE_BUSY` (https://sqlite.org/c3ref/busy_timeout.html). Default: 5 000 ms.
        public var busyTimeoutMilliseconds: Int32
        /// Switch the file to write-ahead logging (https://sqlite.org/wal.html). Default: `true`.
        /// Ignored for read-only connections, which use the mode the file is already in.
        public var writeAheadLog: Bool
        /// Number of prepared statements kept per connection, keyed by SQL text. Default: 64.
        public var statementCacheCapacity: Int
        /// Page cache of the connection in KiB (`PRAGMA cache_size = -N`,
        /// https://sqlite.org/pragma.html#pragma_cache_size); nil keeps SQLite's 2 MiB.
        public var cacheSizeKibibytes: Int?
        /// WAL size in pages that makes a commit run a checkpoint (`PRAGMA wal_autocheckpoint`,
        /// https://sqlite.org/pragma.html#pragma_wal_autocheckpoint); nil keeps SQLite's 1,000.
        /// Ignored for read-only connections.
        public var walAutocheckpointPages: Int?

        /// Options for a connection; the defaults suit the server's metadata database.
        public init(
            access: Access = .readWriteCreate, synchronous: Synchronous = .full,
            busyTimeoutMilliseconds: Int32 = 5_000, writeAheadLog: Bool = true, statementCacheCapacity: Int = 64
        ) {
            self.access = access
            self.synchronous = synchronous
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
            self.writeAheadLog = writeAheadLog
            self.statementCacheCapacity = statementCacheCapacity
            self.cacheSizeKibibytes = nil
            self.walAutocheckpointPages = nil
        }

        var openFlags: Int32 {
            // NOMUTEX: each connection is owned by one serial queue, so SQLite's per-connection
            // mutex would only add cost (https://sqlite.org/threadsafe.html). EXRESCODE: every call
            // returns extended result codes (https://sqlite.org/rescode.html#extrc).
            let common = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
            switch access {
            case .readOnly: return common | SQLITE_OPEN_READONLY
            case .readWrite: return common | SQLITE_OPEN_READWRITE
            case .readWriteCreate: return common | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
            }
        }
    }

    /// Applies `options` to a freshly opened connection and reads the schema once, so that a file
    /// that is not a database fails here with `SQLITE_NOTADB` rather than on first use.
    func configure(_ options: Options) throws(SQLiteError) {
        let database = try openHandle()
        // The file is untrusted input: https://sqlite.org/security.html recommends defensive mode
        // (no writable_schema tricks) and not trusting SQL functions stored in the schema.
        try setFlag(SQLITE_DBCONFIG_DEFENSIVE, on: true, "SQLITE_DBCONFIG_DEFENSIVE")
        try setFlag(SQLITE_DBCONFIG_TRUSTED_SCHEMA, on: false, "SQLITE_DBCONFIG_TRUSTED_SCHEMA")
        try check(sqlite3_busy_timeout(database, max(0, options.busyTimeoutMilliseconds)), "sqlite3_busy_timeout")

        _ = try fetchValue("SELECT count(*) FROM sqlite_schema", as: Int64.self)

        if options.writeAheadLog && options.access != .readOnly {
            // https://sqlite.org/pragma.html#pragma_journal_mode: the pragma answers with the mode
            // now in effect, which differs from "wal" when the switch was not possible.
            let mode = try fetchValue("PRAGMA journal_mode = WAL", as: String.self)
            guard mode?.lowercased() == "wal" else {
                throw .misuse("journal_mode=WAL not applied, the file stays in \(mode ?? "an unknown") mode")
            }
        }
        if let kibibytes = options.cacheSizeKibibytes {
            guard kibibytes > 0 else { throw .misuse("cacheSizeKibibytes must be positive") }
            // A negative cache_size is a size in KiB rather than in pages.
            try execute("PRAGMA cache_size = -\(kibibytes)")
        }
        if let pages = options.walAutocheckpointPages, options.access != .readOnly {
            guard pages >= 0 else { throw .misuse("walAutocheckpointPages must not be negative") }
            _ = try fetchValue("PRAGMA wal_autocheckpoint = \(pages)", as: Int64.self)
        }
        try execute("PRAGMA synchronous = \(options.synchronous.rawValue)")
        let synchronous = try fetchValue("PRAGMA synchronous", as: Int64.self)
        guard synchronous == options.synchronous.pragmaValue else {
            throw .misuse("synchronous=\(options.synchronous.rawValue) not applied")
        }
        // Foreign keys are off by default for compatibility (https://sqlite.org/foreignkeys.html#fk_enable);
        // reading the pragma back proves the library was not built without them.
        try execute("PRAGMA foreign_keys = ON")
        guard try fetchValue("PRAGMA foreign_keys", as: Int64.self) == 1 else {
            throw .misuse("foreign_keys=ON not applied")
        }
    }

    /// Sets one on/off `sqlite3_db_config` option and checks it took effect
    /// (https://sqlite.org/c3ref/c_dbconfig_defensive.html).
    private func setFlag(_ option: Int32, on: Bool, _ name: String) throws(SQLiteError) {
        var now: Int32 = -1
        let rc = coffre_sqlite_db_config_flag(try openHandle(), option, on ? 1 : 0, &now)
        try check(rc, "sqlite3_db_config(\(name))")
        guard now == (on ? 1 : 0) else { throw .misuse("\(name) could not be set") }
    }
}
