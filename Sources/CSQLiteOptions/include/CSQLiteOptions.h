#ifndef CSQLITEOPTIONS_H
#define CSQLITEOPTIONS_H

/// Process-wide SQLite options that only the variadic sqlite3_config() can set
/// (Swift cannot call variadic C functions). Call before the first connection opens.
/// Returns SQLITE_OK, or SQLITE_MISUSE when SQLite was already initialised
/// (harmless: the defaults stay).
int switchboard_sqlite_configure(void);

#endif
