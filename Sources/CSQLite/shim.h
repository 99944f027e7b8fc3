#ifndef COFFRE_CSQLITE_SHIM_H
#define COFFRE_CSQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a function-pointer macro Swift cannot import: bind calls use this instead.
static inline sqlite3_destructor_type coffre_sqlite_transient(void) { return SQLITE_TRANSIENT; }
/// SQLITE_STATIC (no copy; the caller keeps the buffer alive until the statement is reset).
static inline sqlite3_destructor_type coffre_sqlite_static(void) { return SQLITE_STATIC; }
#endif
