import GRDB

extension SQLiteStore {
    static func registerInterfaceMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-11-25-interfaces-syncs") { db in
            try db.create(table: "interface") { t in
                t.primaryKey("id", .text)
                t.belongsTo("account", onDelete: .cascade).notNull()
                t.column("system", .text).notNull()
                t.column("name", .text).notNull()
                t.column("description", .text)
                t.column("state", .text).notNull()
                t.column("health", .text).notNull()
                t.column("healthReason", .text)
                t.column("syncIntervalMinutes", .integer).notNull()
                t.column("settings", .jsonText).notNull()
                t.column("dataFlow", .jsonText).notNull()
                t.column("credentialsSetAt", .jsonText).notNull()
                // AES-GCM sealed box (nonce + ciphertext + tag); never leaves the server.
                t.column("sealedCredentials", .blob)
                t.column("orderedAt", .datetime).notNull()
                t.column("provisionAt", .datetime)
                t.column("activatedAt", .datetime)
                t.column("cancelledAt", .datetime)
                t.column("dataUntil", .datetime)
                t.column("dataRemovedAt", .datetime)
                t.column("sourceFingerprint", .jsonText)
                t.column("lastSyncAt", .datetime)
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "interfaceEvent") { t in
                t.autoIncrementedPrimaryKey("seq")
                t.column("interfaceId", .text).notNull().references("interface", onDelete: .cascade)
                t.column("accountId", .text).notNull()
                t.column("at", .datetime).notNull()
                t.column("actor", .text).notNull()
                t.column("action", .text).notNull()
                t.column("detail", .text)
            }
            try db.create(index: "interfaceEvent_interface", on: "interfaceEvent", columns: ["interfaceId", "seq"])
            try db.create(table: "syncRun") { t in
                t.primaryKey("id", .text)
                t.column("accountId", .text).notNull()
                t.column("interfaceId", .text).notNull().references("interface", onDelete: .cascade)
                t.column("mode", .text).notNull()
                t.column("trigger", .text).notNull()
                t.column("state", .text).notNull()
                t.column("counts", .jsonText).notNull()
                t.column("errors", .jsonText).notNull()
                t.column("warnings", .jsonText).notNull()
                t.column("failure", .text)
                t.column("sourceUnchanged", .boolean).notNull()
                t.column("startedAt", .datetime).notNull()
                t.column("finishedAt", .datetime)
            }
            try db.create(index: "syncRun_interface", on: "syncRun", columns: ["accountId", "interfaceId", "id"])
            try db.create(index: "syncRun_state", on: "syncRun", columns: ["state"])
            // The hash of the source row a synced entry was made from (unchanged rows are skipped).
            try db.alter(table: "phonebookEntry") { t in
                t.add(column: "sourceHash", .integer)
            }
        }
        migrator.registerMigration("2026-11-25-drop-redundant-entry-index") { db in
            // (accountId, sortKey, id) serves every use of the accountId index, including the
            // foreign key's cascade; one index less to maintain per synced row.
            try db.execute(sql: "DROP INDEX IF EXISTS phonebookEntry_on_accountId")
        }
        migrator.registerMigration("2026-11-25-contact-scope-version") { db in
            // Synced entries are the local mirror of a system's contacts (no second copy):
            // whose the contact is there, and the system's version of it for write-through.
            try db.alter(table: "phonebookEntry") { t in
                t.add(column: "scope", .text)
                t.add(column: "remoteVersion", .text)
            }
        }
    }
}
