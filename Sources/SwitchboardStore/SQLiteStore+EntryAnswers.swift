import Foundation
import GRDB
import SwitchboardCore

/// Each phonebook entry's caller-ID answer, rendered when the entry is
/// written and kept in its row (`phonebookEntry.answer`), so that a lookup
/// reads one blob instead of some twenty columns and copies it instead of
/// writing them out as JSON (docs/design/lookup-answers.md).
///
/// The rendering is the server's (`EntryAnswerFormat`). A row whose answer is
/// NULL (written by a store opened without a format, or cleared because the
/// format changed) is answered the slow way until `renderPendingAnswers`
/// fills it in.
extension SQLiteStore {
    static func registerEntryAnswerMigration(_ migrator: inout DatabaseMigrator) {
        // Both only add (a column, an index, a table, a trigger): foreign keys stay on while they
        // run, instead of GRDB's full check of every foreign key afterwards (~15 s with 1 M entries).
        migrator.registerMigration("2026-12-06-entry-answers", foreignKeyChecks: .immediate) { db in
            try db.alter(table: "phonebookEntry") { t in
                t.add(column: "answer", .blob)
            }
            // The rows still to render: empty once the store has caught up, so it costs
            // nothing to keep and finds them without reading the whole table.
            try db.execute(sql: "CREATE INDEX phonebookEntry_unrendered ON phonebookEntry(seq) WHERE answer IS NULL")
            try db.create(table: "storeSetting") { t in
                t.primaryKey("name", .text)
                t.column("value", .text).notNull()
            }
        }
        migrator.registerMigration("2026-12-06-entry-answers-follow-rows", foreignKeyChecks: .immediate) { db in
            // A writer that does not know the column (a server from before it, after a rollback)
            // updates a row and leaves its answer as it was. Such an answer is cleared, to be
            // rendered again at the next start: an update that moves `updatedAt` and keeps the
            // old answer cannot have rendered it. (This store's updates render a new one, so they
            // keep an identical answer only when nothing shown changed within the same second.)
            try db.execute(sql: """
                CREATE TRIGGER phonebookEntry_answerFollowsRow AFTER UPDATE OF updatedAt ON phonebookEntry
                FOR EACH ROW WHEN NEW.answer IS NOT NULL AND NEW.answer IS OLD.answer AND NEW.updatedAt IS NOT OLD.updatedAt
                BEGIN
                    UPDATE phonebookEntry SET answer = NULL WHERE seq = NEW.seq;
                END
                """)
        }
    }

    static let answerFormatSetting = "entryAnswerFormat"

    /// Makes `format` the one stored answers are in: answers rendered in another
    /// one are cleared (once, when the rendering changed).
    static func adopt(_ format: EntryAnswerFormat, in writer: any DatabaseWriter) throws {
        try writer.write { db in
            let stored = try String.fetchOne(db, sql: "SELECT value FROM storeSetting WHERE name = ?", arguments: [answerFormatSetting])
            guard stored != format.version else { return }
            try db.execute(sql: "UPDATE phonebookEntry SET answer = NULL WHERE answer IS NOT NULL")
            try db.execute(
                sql: "INSERT INTO storeSetting (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                arguments: [answerFormatSetting, format.version])
        }
    }

    /// Renders the answers this store's writes keep with their entries.
    var answerRenderer: AnswerRenderer { AnswerRenderer(format: answerFormat) }

    /// Renders the answers of rows that have none, in batches (other writers get
    /// turns between them); returns how many it rendered. Run at start-up.
    @discardableResult
    public func renderPendingAnswers(batch: Int = 2_000) async throws -> Int {
        guard let answerFormat else { return 0 }
        var after: Int64 = 0
        var rendered = 0
        while true {
            try Task.checkCancellation()
            let from = after
            let (count, last) = try await write { db -> (Int, Int64?) in
                let rows = try Row.fetchAll(
                    db.cachedStatement(sql: """
                        SELECT \(PhonebookEntryRow.columns) FROM phonebookEntry INDEXED BY phonebookEntry_unrendered
                        WHERE answer IS NULL AND seq > ? ORDER BY seq LIMIT ?
                        """),
                    arguments: [from, batch])
                let update = try db.cachedStatement(sql: "UPDATE phonebookEntry SET answer = ? WHERE seq = ?")
                for row in rows {
                    // Read back from the row: the dates are already as stored.
                    try update.execute(arguments: [Data(answerFormat.render(PhonebookEntryRow.entry(row))), row[0] as Int64])
                }
                return (rows.count, rows.last.map { $0[0] })
            }
            rendered += count
            guard let last, count == batch else { return rendered }
            after = last
        }
    }
}

/// Renders the answer stored with an entry from the entry as it will read
/// back from its row: dates at the stored precision (GRDB keeps milliseconds,
/// as text), each distinct date converted once (a sync batch shares one or two).
struct AnswerRenderer: Sendable {
    let format: EntryAnswerFormat?
    private var dates: [Date: Date] = [:]

    init(format: EntryAnswerFormat?) {
        self.format = format
    }

    /// Nil without a format (the row's answer stays NULL).
    mutating func answer(for entry: PhonebookEntry) -> [UInt8]? {
        guard let format else { return nil }
        var stored = entry
        stored.createdAt = asStored(entry.createdAt)
        stored.updatedAt = asStored(entry.updatedAt)
        return format.render(stored)
    }

    private mutating func asStored(_ date: Date) -> Date {
        if let stored = dates[date] { return stored }
        let stored = Date.fromDatabaseValue(date.databaseValue) ?? date
        if dates.count > 64 { dates.removeAll(keepingCapacity: true) }
        dates[date] = stored
        return stored
    }
}
