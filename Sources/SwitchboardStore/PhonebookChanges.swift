import CSQLiteOptions
import GRDB
import GRDBSQLite
import Synchronization

/// Which accounts' phonebooks each committed write changed, told to observers
/// (the in-memory caller-ID index, `CallerIDIndex`) after the commit and
/// before the write returns, so that nothing kept from before a write is
/// answered once the write is acknowledged.
///
/// SQLite itself reports the changes: SQLite's preupdate hook on the writer
/// connection (`install`, in C: `switchboard_install_change_hook`) is called for
/// every row inserted, updated or deleted in the tables a caller-ID answer is
/// made of (entries, their number keys) and for a removed account, with the
/// row's account. No write path of the store has to remember to report, and
/// rows changed by triggers and foreign-key cascades are reported too. (TEMP
/// triggers calling a function did the same at twice the cost of a first
/// import: a trigger program per row, and a statement journal per statement.)
///
/// Accounts are collected while the transaction runs (on the writer's thread)
/// and taken at its end, before the commit (`SQLiteStore.write`): so the
/// accounts of one write are never mixed with the next write's.
final class PhonebookChanges: Sendable {
    private struct Pending {
        var accounts: Set<String> = []
        /// A row whose account could not be read: any account may have changed.
        var everyAccount = false
        /// The last account recorded, as bytes: a sync changes thousands of rows of one
        /// account, and comparing bytes costs less than making a String per row.
        var last: [UInt8] = []
    }

    private let pending = Mutex(Pending())
    private let observers = Mutex<[@Sendable (Set<String>?) -> Void]>([])
    /// The installed hook (`struct switchboard_change_hook *` as a bit pattern), for `remove`.
    private let hook = Mutex<UInt?>(nil)

    /// Called by the hook, inside the writer's transaction; nil: an account that could not be read.
    func record(_ accountId: UnsafeRawBufferPointer?) {
        pending.withLock { pending in
            guard let accountId else {
                pending.everyAccount = true
                return
            }
            if pending.last.elementsEqual(accountId) { return }
            pending.last = Array(accountId)
            pending.accounts.insert(String(decoding: accountId, as: UTF8.self))
        }
    }

    /// The accounts recorded since the last call (at the end of a transaction); nil for every account.
    func take() -> Set<String>? {
        pending.withLock { pending in
            defer { pending = Pending() }
            return pending.everyAccount ? nil : pending.accounts
        }
    }

    func observe(_ observer: @escaping @Sendable (Set<String>?) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    /// After a commit (or a rollback: telling of a change that did not happen costs a rebuild, never a wrong answer).
    func committed(_ accounts: Set<String>?) {
        if let accounts, accounts.isEmpty { return }
        for observer in observers.withLock({ $0 }) { observer(accounts) }
    }

    /// Installs the hook on `db` (the writer's connection, after migrations).
    func install(on db: Database) throws {
        func column(_ name: String, of table: String) throws -> Int32 {
            let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))").map { $0["name"] as String }
            guard let index = columns.firstIndex(of: name) else { throw DatabaseError(message: "\(table) has no column \(name)") }
            return Int32(index)
        }
        let entry = try column("accountId", of: "phonebookEntry")
        let number = try column("accountId", of: "phonebookNumber")
        let account = try column("id", of: "account")
        let record: switchboard_change_record = { context, text, length in
            let changes = Unmanaged<PhonebookChanges>.fromOpaque(context!).takeUnretainedValue()
            changes.record(text.map { UnsafeRawBufferPointer(start: $0, count: Int(length)) })
        }
        // Retained until `remove`: the hook may be called as long as the connection is open.
        let context = Unmanaged.passRetained(self).toOpaque()
        guard let installed = switchboard_install_change_hook(db.sqliteConnection, context, record, entry, number, account) else {
            Unmanaged<PhonebookChanges>.fromOpaque(context).release()
            throw DatabaseError(resultCode: .SQLITE_NOMEM, message: "cannot install the change hook")
        }
        hook.withLock { $0 = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(installed))) }
    }

    /// Removes the hook (before the writer's connection closes).
    func remove(from db: Database) {
        guard let installed = hook.withLock({ hook in defer { hook = nil }; return hook }) else { return }
        switchboard_remove_change_hook(db.sqliteConnection, OpaquePointer(bitPattern: installed))
        Unmanaged.passUnretained(self).release()
    }
}
