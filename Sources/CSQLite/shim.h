#ifndef DQ_CSQLITE_SHIM_H
#define DQ_CSQLITE_SHIM_H

#include <sqlite3.h>

/// Swift cannot call C variadic functions; these fixed-arity wrappers can be.
static inline int dq_sqlite3_db_config_int(sqlite3 *db, int op, int value, int *result) {
    return sqlite3_db_config(db, op, value, result);
}

/// `sqlite3_config(SQLITE_CONFIG_MEMSTATUS, on)`: whether SQLite counts its memory use,
/// which takes a global mutex on every allocation. Only before SQLite is initialized.
static inline int dq_sqlite3_config_memstatus(int on) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, on);
}

#endif
