import GRDB

extension SQLiteStore {
    static func registerPhonebookMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-11-24-phonebook") { db in
            try db.alter(table: "user") { t in
                t.add(column: "forwardingEntryId", .text)
            }
            try db.create(table: "phonebookEntry") { t in
                // An integer key links the entry to its search rows; `id` is the public one.
                t.autoIncrementedPrimaryKey("seq")
                t.column("id", .text).notNull().unique()
                t.belongsTo("account", onDelete: .cascade).notNull()
                t.column("source", .text).notNull()
                t.column("sortKey", .blob).notNull()
                t.column("displayName", .text).notNull()
                t.column("firstName", .text)
                t.column("lastName", .text)
                t.column("company", .text)
                t.column("department", .text)
                t.column("title", .text)
                t.column("email", .text)
                t.column("note", .text)
                t.column("numbers", .jsonText).notNull()
                t.column("interfaceId", .text)
                t.column("externalId", .text)
                t.column("copiedFrom", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(index: "phonebookEntry_order", on: "phonebookEntry", columns: ["accountId", "sortKey", "id"])
            try db.create(index: "phonebookEntry_sourceOrder", on: "phonebookEntry", columns: ["accountId", "source", "sortKey", "id"])
            try db.create(
                index: "phonebookEntry_external", on: "phonebookEntry", columns: ["accountId", "interfaceId", "externalId"],
                unique: true, condition: Column("externalId") != nil)
            // One row per number, only for lookups; the entry row holds the numbers for reading.
            try db.create(table: "phonebookNumber") { t in
                t.column("entrySeq", .integer).notNull().references("phonebookEntry", column: "seq", onDelete: .cascade)
                t.column("accountId", .text).notNull()
                // "kind:value", e.g. "e164:+49301234567", "suffix:01234567" (see LookupKey).
                t.column("key", .text).notNull()
            }
            try db.create(index: "phonebookNumber_key", on: "phonebookNumber", columns: ["accountId", "key"])
            try db.create(index: "phonebookNumber_entry", on: "phonebookNumber", columns: ["entrySeq"])
            // Word-prefix search (accents folded) and digit-substring search (trigrams).
            try db.execute(sql: """
                CREATE VIRTUAL TABLE phonebookWords USING fts5(text, tokenize = 'unicode61 remove_diacritics 2', detail = column);
                CREATE VIRTUAL TABLE phonebookDigits USING fts5(digits, tokenize = 'trigram');
                """)
        }
        migrator.registerMigration("2026-11-24-collation-version") { db in
            // The ICU collator version each account's sort keys were made with.
            try db.alter(table: "account") { t in
                t.add(column: "collationVersion", .text)
            }
        }
        migrator.registerMigration("2026-11-25-phonebook-number-clustered") { db in
            // Caller-ID lookups read (accountId, key) → entrySeq. As a rowid table with an
            // index on (accountId, key), each hit cost three B-tree descents (index, number
            // row, entry); clustered on the lookup key it costs two, and the table is smaller.
            try db.execute(sql: """
                CREATE TABLE phonebookNumberNew (
                    accountId TEXT NOT NULL,
                    key TEXT NOT NULL,
                    entrySeq INTEGER NOT NULL REFERENCES phonebookEntry(seq) ON DELETE CASCADE,
                    PRIMARY KEY (accountId, key, entrySeq)
                ) WITHOUT ROWID;
                INSERT INTO phonebookNumberNew (accountId, key, entrySeq) SELECT accountId, key, entrySeq FROM phonebookNumber;
                DROP TABLE phonebookNumber;
                ALTER TABLE phonebookNumberNew RENAME TO phonebookNumber;
                CREATE INDEX phonebookNumber_entry ON phonebookNumber(entrySeq);
                """)
        }
    }
}
