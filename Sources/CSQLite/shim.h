#ifndef COFFRE_CSQLITE_SHIM_H
#define COFFRE_CSQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a function-pointer macro Swift cannot import: bind calls use this instead.
static inline sqlite3_destructor_type coffre_sqlite_transient(void) { return SQLITE_TRANSIENT; }
/// SQLITE_STATIC (no copy; the caller keeps the buffer alive until the statement is reset).
static inline sqlite3_destructor_type coffre_sqlite_static(void) { return SQLITE_STATIC; }

/// sqlite3_db_config is variadic, which Swift cannot call: this wrapper sets one on/off option
/// (SQLITE_DBCONFIG_DEFENSIVE, SQLITE_DBCONFIG_TRUSTED_SCHEMA, ...) and reports the value in
/// effect afterwards through `*now` (https://sqlite.org/c3ref/db_config.html).
static inline int coffre_sqlite_db_config_flag(sqlite3 *db, int op, int on, int *now) {
    return sqlite3_db_config(db, op, on, now);
}

/// sqlite3_config is variadic too: this turns off SQLite's memory statistics, which take a
/// process-wide mutex on every allocation (https://sqlite.org/c3ref/c_config_covering_index_scan.html#sqliteconfigmemstatus).
/// Only valid before SQLite initializes; returns SQLITE_MISUSE after.
static inline int coffre_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
#endif
