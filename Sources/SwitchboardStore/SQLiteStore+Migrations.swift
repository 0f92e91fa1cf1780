import GRDB

extension SQLiteStore {
    /// Migrations have stable ids and are never edited once shipped: add a new one instead.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-24-accounts-users-keys") { db in
            try db.create(table: "account") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull()
                t.column("region", .text).notNull()
                t.column("timeZone", .text).notNull()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "user") { t in
                t.primaryKey("id", .text)
                t.belongsTo("account", onDelete: .cascade).notNull()
                t.column("name", .text).notNull()
                t.column("email", .text).notNull()
                t.column("extension", .text)
                t.column("numbers", .jsonText).notNull()
                t.column("region", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.uniqueKey(["accountId", "email"])
                t.uniqueKey(["accountId", "extension"])
            }
            try db.create(table: "apiKey") { t in
                t.primaryKey("id", .text)
                t.belongsTo("account", onDelete: .cascade)  // NULL for operator keys
                t.column("role", .text).notNull()
                t.belongsTo("user", onDelete: .setNull)
                t.column("label", .text).notNull()
                t.column("secretHash", .blob).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("createdBy", .text)
                t.column("lastUsedAt", .datetime)
                t.column("revokedAt", .datetime)
            }
        }
        registerPhonebookMigration(&migrator)
        registerInterfaceMigration(&migrator)
        registerEntryAnswerMigration(&migrator)
        registerStagedEntryMigrations(&migrator)
        return migrator
    }
}
