#include "CSQLiteOptions.h"
#include <sqlite3.h>

int switchboard_sqlite_configure(void) {
    // Memory statistics make every sqlite3_malloc take one process-wide mutex;
    // concurrent caller-ID lookups on two threads then wait on each other.
    // Nothing reads those statistics.
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
