import Foundation
import GRDBSQLite
import Synchronization
import SwitchboardCore

/// Raw read-only SQLite connections for caller-ID lookups, the hottest read.
///
/// A lookup is one indexed SELECT of a few microseconds. Through GRDB's pool
/// it also paid a reader checkout, a `DispatchQueue.sync` and row decoding by
/// generic machinery — more than the query itself. Here a connection is
/// taken from a mutex-guarded free list, its prepared statement is reused,
/// columns are read by index, and the connection goes back. Connections are
/// only ever used synchronously, so waiting for one always ends (see
/// `SQLiteStore.lookupConnections` for why that matters). WAL mode lets them read
/// while the writer commits.
final class LookupConnections: Sendable {
    struct Slot: Sendable {
        /// `sqlite3*` and `sqlite3_stmt*` as bit patterns (plain integers are Sendable).
        var database: UInt
        var lookup: UInt
    }

    let path: String
    private let free = Mutex<[Slot]>([])
    private let all = Mutex<[Slot]>([])

    static let lookupSQL = """
        SELECT \(PhonebookEntryRow.prefixedColumns) FROM phonebookNumber n JOIN phonebookEntry e ON e.seq = n.entrySeq
        WHERE n.accountId = ?1 AND n.key = ?2 LIMIT 1000
        """

    init(path: String) {
        self.path = path
    }

    deinit {
        for slot in all.withLock({ $0 }) {
            sqlite3_finalize(OpaquePointer(bitPattern: slot.lookup))
            sqlite3_close_v2(OpaquePointer(bitPattern: slot.database))
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private func open() throws -> Slot {
        var database: OpaquePointer?
        let flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &database, flags, nil) == SQLITE_OK, let database else {
            let message = database.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(database)
            throw Failure(description: "lookup connection: \(message)")
        }
        sqlite3_busy_timeout(database, 10_000)
        sqlite3_exec(database, "PRAGMA mmap_size = 17179869184", nil, nil, nil)
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(database, Self.lookupSQL, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
            let statement
        else {
            let message = String(cString: sqlite3_errmsg(database))
            sqlite3_close_v2(database)
            throw Failure(description: "lookup statement: \(message)")
        }
        let slot = Slot(database: UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(database))),
                        lookup: UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(statement))))
        all.withLock { $0.append(slot) }
        return slot
    }

    /// Entries with a number indexed under `key` in `accountId` (at most 1,000),
    /// in no particular order: the service ranks them. Ordering here would
    /// set up an SQLite sorter for what is nearly always one row.
    func entries(accountId: String, key: String) throws -> [PhonebookEntry] {
        let slot = try free.withLock { $0.popLast() } ?? open()
        defer { free.withLock { $0.append(slot) } }
        let statement = OpaquePointer(bitPattern: slot.lookup)!
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        sqlite3_bind_text(statement, 1, accountId, -1, Self.SQLITE_TRANSIENT)
        sqlite3_bind_text(statement, 2, key, -1, Self.SQLITE_TRANSIENT)
        var entries: [PhonebookEntry] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else {
                throw Failure(description: "lookup: \(String(cString: sqlite3_errmsg(OpaquePointer(bitPattern: slot.database)!)))")
            }
            entries.append(Self.entry(statement))
        }
        return entries
    }

    /// Columns in `PhonebookEntryRow.columns` order.
    static func entry(_ s: OpaquePointer) -> PhonebookEntry {
        PhonebookEntry(
            id: text(s, 1) ?? "", accountId: text(s, 2) ?? "", source: PhonebookEntry.Source(rawValue: text(s, 3) ?? "M") ?? .manual,
            displayName: text(s, 5) ?? "", firstName: text(s, 6), lastName: text(s, 7), company: text(s, 8), department: text(s, 9),
            title: text(s, 10), email: text(s, 11), note: text(s, 12), numbers: PhonebookEntryRow.decodeNumbers(text(s, 13) ?? ""),
            interfaceId: text(s, 14), externalId: text(s, 15), copiedFrom: text(s, 16),
            createdAt: date(s, 17), updatedAt: date(s, 18))
    }

    static let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    static func text(_ s: OpaquePointer, _ column: Int32) -> String? {
        guard sqlite3_column_type(s, column) != SQLITE_NULL, let bytes = sqlite3_column_text(s, column) else { return nil }
        let count = Int(sqlite3_column_bytes(s, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// GRDB stores dates as "YYYY-MM-DD HH:MM:SS.SSS" (UTC).
    static func date(_ s: OpaquePointer, _ column: Int32) -> Date {
        guard let bytes = sqlite3_column_text(s, column), sqlite3_column_bytes(s, column) >= 19 else { return Date(timeIntervalSince1970: 0) }
        func number(_ from: Int, _ count: Int) -> Int {
            var value = 0
            for i in from..<(from + count) { value = value * 10 + Int(bytes[i] &- 48) }
            return value
        }
        let year = number(0, 4), month = number(5, 2), day = number(8, 2)
        let hour = number(11, 2), minute = number(14, 2), second = number(17, 2)
        let millis = sqlite3_column_bytes(s, column) >= 23 ? number(20, 3) : 0
        // Days from the civil date (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = Double(days * 86_400 + hour * 3_600 + minute * 60 + second) + Double(millis) / 1_000
        return Date(timeIntervalSince1970: seconds)
    }
}
