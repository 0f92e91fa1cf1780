import Foundation
import GRDBSQLite
import Synchronization
import SwitchboardCore

/// SQLite's SQLITE_TRANSIENT ("copy the bound value"), whose C macro Swift does not import.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

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
///
/// Snapshots. Starting and ending a WAL read transaction costs two `fcntl`
/// locks and a process-wide mutex — under load more than the query. So a
/// connection keeps its read transaction open between lookups and reuses it
/// while it is fresh: no write committed since (`dataChanged()`, called by
/// the store after every write, bumps `generation`) and younger than
/// `maxSnapshotAge` (which bounds how long a change made by another process
/// takes to show). `dataChanged()` also ends the snapshots of idle
/// connections at once, so they never hold the WAL back from a checkpoint.
final class LookupConnections: Sendable {
    struct Slot: Sendable {
        /// `sqlite3*` and `sqlite3_stmt*` as bit patterns (plain integers are Sendable).
        var database: UInt
        /// `lookupSQL` (whole entries) and `answerSQL` (rendered answers).
        var lookup: UInt
        var answers: UInt
        var begin: UInt
        var commit: UInt
        /// The open read transaction: the `generation` it began in and when (uptime ns); nil when none.
        var snapshot: (generation: UInt64, since: UInt64)?

        var db: OpaquePointer { OpaquePointer(bitPattern: database)! }

        /// Ends the read transaction, if one is open.
        mutating func endSnapshot() {
            guard snapshot != nil else { return }
            let statement = OpaquePointer(bitPattern: commit)!
            sqlite3_step(statement)
            sqlite3_reset(statement)
            snapshot = nil
        }
    }

    let path: String
    private let free = Mutex<[Slot]>([])
    private let all = Mutex<[Slot]>([])
    private let generation = Atomic<UInt64>(0)
    static let maxSnapshotAge: UInt64 = 200_000_000  // 0.2 s in ns

    /// `PhonebookEntryRow.columns` in their places, without what `entry` never
    /// reads (seq, the sort key blob) and with the account bound rather than copied out of
    /// each row (the number's account is its entry's): SQLite copies every text and blob
    /// column of a result row, so each one left out is a copy less per lookup.
    static let lookupSQL: String = {
        let columns = PhonebookEntryRow.prefixedColumns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        precondition(columns[0] == "e.seq" && columns[2] == "e.accountId" && columns[4] == "e.sortKey")
        var selected = columns
        selected[0] = "NULL"
        selected[2] = "?1"
        selected[4] = "NULL"
        return """
            SELECT \(selected.joined(separator: ", ")) FROM phonebookNumber n JOIN phonebookEntry e ON e.seq = n.entrySeq
            WHERE n.accountId = ?1 AND n.key = ?2 LIMIT 1000
            """
    }()

    /// What a caller-ID answer reads of each matching row (`EntryRowView`, in its
    /// order): four columns to rank and summarise, the numbers (read only for
    /// suffix matches) and the rendered answer, instead of every column.
    static let answerSQL = """
        SELECT e.id, e.source, e.displayName, e.company, e.updatedAt, e.numbers, e.answer
        FROM phonebookNumber n JOIN phonebookEntry e ON e.seq = n.entrySeq
        WHERE n.accountId = ?1 AND n.key = ?2 LIMIT 1000
        """

    init(path: String) {
        self.path = path
    }

    deinit {
        for slot in all.withLock({ $0 }) {
            sqlite3_finalize(OpaquePointer(bitPattern: slot.begin))
            sqlite3_finalize(OpaquePointer(bitPattern: slot.commit))
            sqlite3_finalize(OpaquePointer(bitPattern: slot.lookup))
            sqlite3_finalize(OpaquePointer(bitPattern: slot.answers))
            sqlite3_close_v2(OpaquePointer(bitPattern: slot.database))
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A read-only connection to the database, mapping up to `mmapSize` bytes of it.
    private func openReadOnly(mmapSize: Int64, purpose: String) throws -> OpaquePointer {
        var database: OpaquePointer?
        guard sqlite3_open_v2(path, &database, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let database else {
            let message = database.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(database)
            throw Failure(description: "\(purpose) connection: \(message)")
        }
        sqlite3_busy_timeout(database, 10_000)
        sqlite3_exec(database, "PRAGMA mmap_size = \(mmapSize)", nil, nil, nil)
        return database
    }

    private func open() throws -> Slot {
        let database = try openReadOnly(mmapSize: 17_179_869_184, purpose: "lookup")
        var statements: [UInt] = []
        for sql in [Self.lookupSQL, Self.answerSQL, "BEGIN", "COMMIT"] {
            var statement: OpaquePointer?
            guard sqlite3_prepare_v3(database, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK, let statement else {
                let message = String(cString: sqlite3_errmsg(database))
                for prepared in statements { sqlite3_finalize(OpaquePointer(bitPattern: prepared)) }
                sqlite3_close_v2(database)
                throw Failure(description: "lookup statement: \(message)")
            }
            statements.append(UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(statement))))
        }
        let slot = Slot(database: UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(database))),
                        lookup: statements[0], answers: statements[1], begin: statements[2], commit: statements[3], snapshot: nil)
        all.withLock { $0.append(slot) }
        return slot
    }

    /// Bumped after every committed write.
    var currentGeneration: UInt64 { generation.load(ordering: .sequentiallyConsistent) }

    /// Called by the store after every committed write: snapshots taken before it are stale.
    func dataChanged() {
        generation.add(1, ordering: .sequentiallyConsistent)
        endSnapshots()
    }

    /// Puts a connection back; a snapshot a write made stale meanwhile ends
    /// now rather than holding the WAL back until the connection's next use.
    private func release(_ slot: Slot) {
        var slot = slot
        free.withLock { slots in
            if let snapshot = slot.snapshot, snapshot.generation != generation.load(ordering: .sequentiallyConsistent) {
                slot.endSnapshot()
            }
            slots.append(slot)
        }
    }

    /// Ends every snapshot (the store is about to checkpoint and close: an open
    /// read transaction would make the checkpoint wait).
    func endSnapshots() {
        free.withLock { slots in
            for i in slots.indices { slots[i].endSnapshot() }
        }
    }

    /// Makes sure `slot` reads in a snapshot that is fresh (see the type's documentation).
    private func freshen(_ slot: inout Slot) throws {
        let now = DispatchTime.now().uptimeNanoseconds
        let current = generation.load(ordering: .sequentiallyConsistent)
        if let snapshot = slot.snapshot, snapshot.generation == current, now &- snapshot.since < Self.maxSnapshotAge { return }
        slot.endSnapshot()
        let begin = OpaquePointer(bitPattern: slot.begin)!
        defer { sqlite3_reset(begin) }
        guard sqlite3_step(begin) == SQLITE_DONE else {
            throw Failure(description: "lookup: \(String(cString: sqlite3_errmsg(slot.db)))")
        }
        // BEGIN is deferred: the read transaction (and its snapshot) starts with the first SELECT,
        // which comes after this point, so it is at least as new as `current`.
        slot.snapshot = (current, now)
    }

    /// Entries with a number indexed under `key` in `accountId` (at most 1,000),
    /// in no particular order: the service ranks them. Ordering here would
    /// set up an SQLite sorter for what is nearly always one row.
    func entries(accountId: String, key: String) throws -> [PhonebookEntry] {
        var entries: [PhonebookEntry] = []
        try step(answers: false, accountId: accountId, key: key) { entries.append(Self.entry($0)); return true }
        return entries
    }

    /// The same rows as `entries`, each as a view of what an answer reads (no
    /// entry is built; the view is valid only inside `visit`). Returns false
    /// at the first row without a rendered answer: what was visited must then
    /// be dropped and the lookup made from `entries`.
    func visit(accountId: String, key: String, _ visit: (EntryRowView) throws -> Void) throws -> Bool {
        try step(answers: true, accountId: accountId, key: key) { statement in
            guard let view = Self.view(statement) else { return false }
            try visit(view)
            return true
        }
    }

    /// `answerSQL`'s columns (numbers as NULL: only suffix matches read them) and
    /// the key, for an account's keys in a range, in key order (the order of
    /// `phonebookNumber`'s clustered key: no sorting).
    static let scanSQL = """
        SELECT e.id, e.source, e.displayName, e.company, e.updatedAt, NULL, e.answer, n.key
        FROM phonebookNumber n JOIN phonebookEntry e ON e.seq = n.entrySeq
        WHERE n.accountId = ?1 AND n.key >= ?2 AND n.key < ?3 ORDER BY n.key
        """

    /// Visits every entry indexed under a key that starts with `keyPrefix` in
    /// `accountId`, with the key, in key order, all in one snapshot. Runs on a
    /// connection of its own (a long read must not hold a lookup's connection).
    /// Returns false at the first row without a rendered answer.
    func scan(accountId: String, keyPrefix: String, _ visit: (UTF8Text, EntryRowView) throws -> Void) throws -> Bool {
        var upper = Array(keyPrefix.utf8)
        precondition(!upper.isEmpty && upper[upper.count - 1] < 0x7F, "an ASCII key prefix")
        upper[upper.count - 1] += 1
        return try withOwnConnection(Self.scanSQL) { statement in
            sqlite3_bind_text(statement, 1, accountId, -1, sqliteTransient)
            sqlite3_bind_text(statement, 2, keyPrefix, -1, sqliteTransient)
            _ = upper.withUnsafeBufferPointer { upper in
                upper.baseAddress!.withMemoryRebound(to: CChar.self, capacity: upper.count) {
                    sqlite3_bind_text(statement, 3, $0, Int32(upper.count), sqliteTransient)
                }
            }
            return try Self.rows(statement) { statement in
                guard let view = Self.view(statement), let key = Self.bytes(statement, 7) else { return false }
                try visit(key, view)
                return true
            }
        }
    }

    /// Every account's id.
    func accountIds() throws -> [String] {
        var ids: [String] = []
        _ = try withOwnConnection("SELECT id FROM account ORDER BY id") { statement in
            try Self.rows(statement) { statement in
                ids.append(Self.text(statement, 0) ?? "")
                return true
            }
        }
        return ids
    }

    /// Runs `body` with `sql` prepared on a connection opened for it and closed after,
    /// inside one read transaction.
    private func withOwnConnection<R>(_ sql: String, _ body: (OpaquePointer) throws -> R) throws -> R {
        // Read through the page cache, not mapped: a scan of a whole phonebook would otherwise
        // leave the file's pages in this process's resident memory.
        let database = try openReadOnly(mmapSize: 0, purpose: "scan")
        defer { sqlite3_close_v2(database) }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(database, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw Failure(description: "scan statement: \(String(cString: sqlite3_errmsg(database)))")
        }
        defer { sqlite3_finalize(statement) }
        // One statement reads in one snapshot by itself; BEGIN is not needed.
        return try body(statement)
    }

    /// Steps `statement` to its end, calling `row` on each result row until it returns
    /// false; false if it did.
    private static func rows(_ statement: OpaquePointer, _ row: (OpaquePointer) throws -> Bool) throws -> Bool {
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { return true }
            guard step == SQLITE_ROW else {
                throw Failure(description: "scan: \(String(cString: sqlite3_errmsg(sqlite3_db_handle(statement))))")
            }
            guard try row(statement) else { return false }
        }
    }

    /// Runs `answerSQL` or `lookupSQL` and calls `row` on each result row until it returns false; false if it did.
    @discardableResult
    private func step(answers: Bool, accountId: String, key: String, _ row: (OpaquePointer) throws -> Bool) throws -> Bool {
        var slot = try free.withLock { $0.popLast() } ?? open()
        defer { release(slot) }
        try freshen(&slot)
        let statement = OpaquePointer(bitPattern: answers ? slot.answers : slot.lookup)!
        var accountId = accountId, key = key
        // Bound without a copy (SQLITE_STATIC): the bytes outlive the statement's use of them,
        // which ends with the reset below.
        return try accountId.withUTF8 { account in
            try key.withUTF8 { key in
                defer {
                    sqlite3_reset(statement)
                    sqlite3_clear_bindings(statement)
                }
                Self.bindStatic(statement, 1, account)
                Self.bindStatic(statement, 2, key)
                while true {
                    let step = sqlite3_step(statement)
                    if step == SQLITE_DONE { break }
                    guard step == SQLITE_ROW else {
                        let message = String(cString: sqlite3_errmsg(slot.db))
                        slot.endSnapshot()
                        throw Failure(description: "lookup: \(message)")
                    }
                    guard try row(statement) else { return false }
                }
                return true
            }
        }
    }

    /// Binds text that stays valid until the statement is reset (an empty buffer has
    /// no address, and a NULL pointer would bind NULL: it binds "" instead).
    private static func bindStatic(_ statement: OpaquePointer, _ index: Int32, _ text: UnsafeBufferPointer<UInt8>) {
        let SQLITE_STATIC: sqlite3_destructor_type? = nil
        if let base = text.baseAddress, !text.isEmpty {
            base.withMemoryRebound(to: CChar.self, capacity: text.count) {
                _ = sqlite3_bind_text(statement, index, $0, Int32(text.count), SQLITE_STATIC)
            }
        } else {
            sqlite3_bind_text(statement, index, "", 0, sqliteTransient)
        }
    }

    /// An `answerSQL` row as `entry` would read the same fields, without copying;
    /// nil when the row has no rendered answer.
    static func view(_ s: OpaquePointer) -> EntryRowView? {
        guard let answer = sqlite3_column_blob(s, 6) else { return nil }
        return EntryRowView(
            id: bytes(s, 0) ?? Self.empty, source: source(s, 1), displayName: bytes(s, 2) ?? Self.empty, company: bytes(s, 3),
            numbers: StoredNumbers((bytes(s, 5) ?? Self.empty).bytes, anyKeptAsTyped: PhonebookEntryRow.anyKeptAsTyped),
            updatedAt: date(s, 4), updatedAtText: timestampText(s, 4),
            entryJSON: UTF8Text(UnsafeRawBufferPointer(start: answer, count: Int(sqlite3_column_bytes(s, 6)))))
    }

    /// The answer's text of a stored timestamp: copied from the row, or made from
    /// the date `date` reads when the stored text is not in GRDB's canonical form.
    static func timestampText(_ s: OpaquePointer, _ column: Int32) -> RFC3339Text {
        bytes(s, column).flatMap { RFC3339.text(storedUTC: $0.bytes) } ?? RFC3339.text(date(s, column))
    }

    static var empty: UTF8Text { UTF8Text(UnsafeRawBufferPointer(start: nil, count: 0)) }

    /// `text`'s bytes, without the copy into a String. (`sqlite3_column_text` is
    /// NULL exactly for NULL values, and for out of memory, which `text` also reads as nil.)
    static func bytes(_ s: OpaquePointer, _ column: Int32) -> UTF8Text? {
        guard let bytes = sqlite3_column_text(s, column) else { return nil }
        return UTF8Text(UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(s, column))))
    }

    /// The source column, by `PhonebookEntryRow.source(storedBytes:)`.
    static func source(_ s: OpaquePointer, _ column: Int32) -> PhonebookEntry.Source {
        PhonebookEntryRow.source(storedBytes: bytes(s, column)?.bytes)
    }

    /// Columns in `PhonebookEntryRow.columns` order.
    static func entry(_ s: OpaquePointer) -> PhonebookEntry {
        PhonebookEntry(
            id: text(s, 1) ?? "", accountId: text(s, 2) ?? "", source: PhonebookEntryRow.source(stored: text(s, 3)),
            displayName: text(s, 5) ?? "", firstName: text(s, 6), lastName: text(s, 7), company: text(s, 8), department: text(s, 9),
            title: text(s, 10), email: text(s, 11), note: text(s, 12), numbers: PhonebookEntryRow.decodeNumbers(text(s, 13) ?? ""),
            interfaceId: text(s, 14), externalId: text(s, 15), copiedFrom: text(s, 16),
            createdAt: date(s, 17), updatedAt: date(s, 18), scope: text(s, 19).flatMap(ContactScope.init(rawValue:)),
            remoteVersion: text(s, 20))
    }

    static func text(_ s: OpaquePointer, _ column: Int32) -> String? {
        bytes(s, column)?.string
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
