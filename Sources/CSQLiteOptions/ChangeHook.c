// Debian's libsqlite3 is built with SQLITE_ENABLE_PREUPDATE_HOOK; its header
// declares the hook's functions only when the macro is set.
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include "CSQLiteOptions.h"
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

struct switchboard_change_hook {
    void *context;
    switchboard_change_record record;
    int entryAccountColumn;
    int numberAccountColumn;
    int accountIdColumn;
};

static void report(struct switchboard_change_hook *hook, sqlite3 *db, int op, int column) {
    sqlite3_value *value = NULL;
    int rc = op == SQLITE_INSERT ? sqlite3_preupdate_new(db, column, &value) : sqlite3_preupdate_old(db, column, &value);
    const unsigned char *text = rc == SQLITE_OK && value ? sqlite3_value_text(value) : NULL;
    // An account that cannot be read is reported as NULL: every account may have changed.
    hook->record(hook->context, text, text ? sqlite3_value_bytes(value) : -1);
}

static void on_change(void *p, sqlite3 *db, int op, const char *zDb, const char *zName, sqlite3_int64 k1, sqlite3_int64 k2) {
    (void)k1;
    (void)k2;
    struct switchboard_change_hook *hook = p;
    int column;
    if (strcmp(zName, "phonebookEntry") == 0) column = hook->entryAccountColumn;
    else if (strcmp(zName, "phonebookNumber") == 0) column = hook->numberAccountColumn;
    else if (strcmp(zName, "account") == 0 && op == SQLITE_DELETE) column = hook->accountIdColumn;
    else return;
    if (strcmp(zDb, "main") != 0) return;
    report(hook, db, op, column);
}

struct switchboard_change_hook *switchboard_install_change_hook(
    sqlite3 *db, void *context, switchboard_change_record record, int entryAccountColumn, int numberAccountColumn, int accountIdColumn) {
    struct switchboard_change_hook *hook = malloc(sizeof *hook);
    if (!hook) return NULL;
    hook->context = context;
    hook->record = record;
    hook->entryAccountColumn = entryAccountColumn;
    hook->numberAccountColumn = numberAccountColumn;
    hook->accountIdColumn = accountIdColumn;
    sqlite3_preupdate_hook(db, on_change, hook);
    return hook;
}

void switchboard_remove_change_hook(sqlite3 *db, struct switchboard_change_hook *hook) {
    sqlite3_preupdate_hook(db, NULL, NULL);
    free(hook);
}
