import GRDB
import GRDBSQLite
import Synchronization

/// Which accounts' phonebooks each committed write changed, told to observers
/// (the in-memory caller-ID index, `CallerIDIndex`) after the commit and
/// before the write returns, so that nothing kept from before a write is
/// answered once the write is acknowledged.
///
/// SQLite itself reports the changes: TEMP triggers on the writer connection
/// (`install`) call `switchboard_phonebook_changed(accountId)` for every row
/// inserted, updated or deleted in the tables a caller-ID answer is made of
/// (entries, their number keys) and for a removed account. No write path of
/// the store has to remember to report, and rows removed by triggers and
/// foreign-key cascades are reported too. The triggers exist only on the
/// writer's connection: the schema in the file is unchanged.
///
/// Accounts are collected while the transaction runs (on the writer's thread)
/// and taken at its end, before the commit (`SQLiteStore.write`): so the
/// accounts of one write are never mixed with the next write's.
final class PhonebookChanges: Sendable {
    private struct Pending {
        var accounts: Set<String> = []
        /// The last account recorded, as bytes: a sync changes thousands of rows of one
        /// account, and comparing bytes costs less than making a String per row.
        var last: [UInt8] = []
    }

    private let pending = Mutex(Pending())
    private let observers = Mutex<[@Sendable (Set<String>) -> Void]>([])

    /// Called by the triggers, inside the writer's transaction.
    func record(_ accountId: UnsafeRawBufferPointer) {
        pending.withLock { pending in
            if pending.last.elementsEqual(accountId) { return }
            pending.last = Array(accountId)
            pending.accounts.insert(String(decoding: accountId, as: UTF8.self))
        }
    }

    /// The accounts recorded since the last call (at the end of a transaction).
    func take() -> Set<String> {
        pending.withLock { pending in
            defer { pending = Pending() }
            return pending.accounts
        }
    }

    func observe(_ observer: @escaping @Sendable (Set<String>) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    /// After a commit (or a rollback: telling of a change that did not happen costs a rebuild, never a wrong answer).
    func committed(_ accounts: Set<String>) {
        guard !accounts.isEmpty else { return }
        for observer in observers.withLock({ $0 }) { observer(accounts) }
    }

    static let functionName = "switchboard_phonebook_changed"

    /// The triggers that report changes: every row of the entries and their number
    /// keys (the tables a caller-ID answer is read from), and a removed account.
    static let triggers: [String] = {
        var sql: [String] = []
        for table in ["phonebookEntry", "phonebookNumber"] {
            for (event, row) in [("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")] {
                sql.append("""
                    CREATE TEMP TRIGGER IF NOT EXISTS \(table)_reports\(event.capitalized) AFTER \(event) ON main.\(table)
                    BEGIN SELECT \(functionName)(\(row).accountId); END
                    """)
            }
        }
        sql.append("""
            CREATE TEMP TRIGGER IF NOT EXISTS account_reportsDelete AFTER DELETE ON main.account
            BEGIN SELECT \(functionName)(OLD.id); END
            """)
        return sql
    }()

    /// Registers the function and creates the triggers on `db` (the writer's connection, after migrations).
    func install(on db: Database) throws {
        let context = Unmanaged.passRetained(self).toOpaque()
        let function: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = { context, count, values in
            defer { sqlite3_result_null(context) }
            guard count == 1, let value = values?[0], let text = sqlite3_value_text(value), let data = sqlite3_user_data(context) else { return }
            let changes = Unmanaged<PhonebookChanges>.fromOpaque(data).takeUnretainedValue()
            changes.record(UnsafeRawBufferPointer(start: text, count: Int(sqlite3_value_bytes(value))))
        }
        let release: @convention(c) (UnsafeMutableRawPointer?) -> Void = { data in
            if let data { Unmanaged<PhonebookChanges>.fromOpaque(data).release() }
        }
        let code = sqlite3_create_function_v2(db.sqliteConnection, Self.functionName, 1, SQLITE_UTF8, context, function, nil, nil, release)
        guard code == SQLITE_OK else {
            // (SQLite has called `release` already: it does when the function cannot be made.)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot register \(Self.functionName)")
        }
        for trigger in Self.triggers { try db.execute(sql: trigger) }
    }
}
