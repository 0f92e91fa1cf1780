#ifndef CSQLITEOPTIONS_H
#define CSQLITEOPTIONS_H

/// Process-wide SQLite options that only the variadic sqlite3_config() can set
/// (Swift cannot call variadic C functions). Call before the first connection opens.
/// Returns SQLITE_OK, or SQLITE_MISUSE when SQLite was already initialised
/// (harmless: the defaults stay).
int switchboard_sqlite_configure(void);

typedef struct sqlite3 sqlite3;
struct switchboard_change_hook;

/// Told the account of a changed row: UTF-8 bytes, or NULL with length -1 when it
/// could not be read (then any account may have changed).
typedef void (*switchboard_change_record)(void *context, const unsigned char *accountId, int length);

/// Calls `record` for every row inserted, updated or deleted in `phonebookEntry`
/// and `phonebookNumber`, and for every deleted `account`, on `db` (SQLite's
/// preupdate hook: the old row's account for updates and deletes, the new one's
/// for inserts). The columns are the tables' `accountId` (and `account.id`)
/// indexes. Returns the hook, for `switchboard_remove_change_hook`; NULL when out of memory.
struct switchboard_change_hook *switchboard_install_change_hook(
    sqlite3 *db, void *context, switchboard_change_record record, int entryAccountColumn, int numberAccountColumn, int accountIdColumn);

/// Removes the hook from `db` and frees it.
void switchboard_remove_change_hook(sqlite3 *db, struct switchboard_change_hook *hook);

#endif
