import Foundation
import GRDB
import GRDBSQLite
import SwitchboardCore

/// What an entry's row and index rows are made of, derived once: the encoded
/// numbers, the search words, the digit strings and the lookup keys.
///
/// Made before a write transaction starts (a sync's writer is its one serial
/// stage, so everything that can be done beside it is), and used by every
/// path that indexes an entry, so they all index alike.
struct EntryIndexTexts: Sendable {
    /// `PhonebookEntryRow.encodeNumbers` of the numbers.
    var numbers: String
    /// The words the search index holds (`PhonebookEntryRow.searchText`).
    var words: String
    /// Digits as typed, as shown and in E.164, per number, space-separated;
    /// empty when there are none. A search for "0171" or "49171" finds "+49 171 2345678".
    var digits: String
    /// Every distinct lookup key of the numbers, strongest first per number.
    var keys: [String]

    init(_ entry: PhonebookEntry) {
        numbers = PhonebookEntryRow.encodeNumbers(entry.numbers)
        words = PhonebookEntryRow.searchText(entry)
        var parts: [String] = []
        for n in entry.numbers {
            let forms = Set([n.digits, Self.digitsOf(n.display), n.e164.map(Self.digitsOf) ?? ""]).filter { !$0.isEmpty }
            parts.append(contentsOf: forms.sorted())
        }
        digits = parts.joined(separator: " ")
        keys = Self.keys(of: entry.numbers)
    }

    /// The keys numbers are indexed under: every distinct lookup key, strongest first per
    /// number. Also what removal deletes, from the numbers a row stored.
    static func keys(of numbers: [EntryNumber]) -> [String] {
        var seen = Set<String>()
        return numbers.flatMap(\.lookupKeys).filter { seen.insert($0).inserted }
    }

    /// The decimal digits of `text` (any script, as `Character.isNumber`; ASCII text without a detour through Characters).
    static func digitsOf(_ text: String) -> String {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return text.filter(\.isNumber) }
        return String(decoding: text.utf8.filter { (0x30...0x39).contains($0) }, as: UTF8.self)
    }
}

/// Inserts phonebook entries with their index rows through raw prepared
/// statements inside one GRDB write transaction. A million-row import binds
/// some thirty values per entry; GRDB's `StatementArguments` boxes each of
/// them (a fifth of the writer's time), these bind them directly.
final class PhonebookBatchInserter {
    /// One entry to insert, everything derived beforehand.
    struct Row: Sendable {
        var keyed: KeyedEntry
        var texts: EntryIndexTexts
        /// The entry's rendered answer (`AnswerRenderer.answer(for:)`); nil stores NULL, to be rendered later.
        var answer: [UInt8]?
        init(_ keyed: KeyedEntry, answer: [UInt8]?) {
            self.keyed = keyed
            texts = EntryIndexTexts(keyed.entry)
            self.answer = answer
        }
    }

    private let db: OpaquePointer
    private let entry: OpaquePointer
    private let number: OpaquePointer
    private let order: OpaquePointer
    private let staging: Bool
    private let words: OpaquePointer
    private let digits: OpaquePointer
    /// GRDB's text for each date seen (its storage format), made once: a batch shares one or two dates.
    private var dateTexts: [Date: String] = [:]

    /// `staging`: the number keys and the place in the book's order are staged, to be
    /// published in key order later (a sync's new entries; see `SQLiteStore.publishStagedEntries`).
    init(_ database: Database, staging: Bool) throws {
        guard let db = database.sqliteConnection else { throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "connection is closed") }
        self.db = db
        var prepared: [OpaquePointer] = []
        for sql in [
            PhonebookEntryRow.insertSQL,
            "INSERT INTO \(staging ? "phonebookNumberStaged" : "phonebookNumber") (entrySeq, accountId, key) VALUES (?, ?, ?)",
            staging
                ? "INSERT INTO phonebookOrderStaged (entrySeq) VALUES (?)"
                : "INSERT INTO phonebookOrder (entrySeq, accountId, sortKey, id) VALUES (?, ?, ?, ?)",
            "INSERT INTO phonebookWords (rowid, text) VALUES (?, ?)",
            "INSERT INTO phonebookDigits (rowid, digits) VALUES (?, ?)",
        ] {
            var statement: OpaquePointer?
            let code = sqlite3_prepare_v3(db, sql, -1, 0, &statement, nil)
            guard code == SQLITE_OK, let statement else {
                let error = DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db)), sql: sql)
                for s in prepared { sqlite3_finalize(s) }
                throw error
            }
            prepared.append(statement)
        }
        entry = prepared[0]
        number = prepared[1]
        order = prepared[2]
        words = prepared[3]
        digits = prepared[4]
        self.staging = staging
    }

    deinit {
        for statement in [entry, number, order, words, digits] { sqlite3_finalize(statement) }
    }

    /// Inserts the entry, its number keys and place in the order (or stages them) and its search rows; returns its `seq`.
    @discardableResult
    func insert(_ row: Row) throws -> Int64 {
        let e = row.keyed.entry
        var i: Int32 = 0
        func next() -> Int32 { i += 1; return i }
        bind(entry, next(), e.id)
        bind(entry, next(), e.accountId)
        bind(entry, next(), e.source.rawValue)
        bindBlob(entry, next(), row.keyed.sortKey)
        bind(entry, next(), e.displayName)
        bind(entry, next(), e.firstName)
        bind(entry, next(), e.lastName)
        bind(entry, next(), e.company)
        bind(entry, next(), e.department)
        bind(entry, next(), e.title)
        bind(entry, next(), e.email)
        bind(entry, next(), e.note)
        bind(entry, next(), row.texts.numbers)
        bind(entry, next(), e.interfaceId)
        bind(entry, next(), e.externalId)
        bind(entry, next(), e.copiedFrom)
        bind(entry, next(), dateText(e.createdAt))
        bind(entry, next(), dateText(e.updatedAt))
        if let hash = row.keyed.sourceHash { sqlite3_bind_int64(entry, next(), Int64(bitPattern: hash)) } else { sqlite3_bind_null(entry, next()) }
        bind(entry, next(), e.scope?.rawValue)
        bind(entry, next(), e.remoteVersion)
        if let answer = row.answer { bindBlob(entry, next(), answer) } else { sqlite3_bind_null(entry, next()) }
        try step(entry)
        let seq = sqlite3_last_insert_rowid(db)

        for key in row.texts.keys {
            sqlite3_bind_int64(number, 1, seq)
            bind(number, 2, e.accountId)
            bind(number, 3, key)
            try step(number)
        }
        sqlite3_bind_int64(order, 1, seq)
        if !staging {
            bind(order, 2, e.accountId)
            bindBlob(order, 3, row.keyed.sortKey)
            bind(order, 4, e.id)
        }
        try step(order)
        sqlite3_bind_int64(words, 1, seq)
        bind(words, 2, row.texts.words)
        try step(words)
        if !row.texts.digits.isEmpty {
            sqlite3_bind_int64(digits, 1, seq)
            bind(digits, 2, row.texts.digits)
            try step(digits)
        }
        return seq
    }

    private func dateText(_ date: Date) -> String {
        if let text = dateTexts[date] { return text }
        let text = String.fromDatabaseValue(date.databaseValue) ?? ""
        dateTexts[date] = text
        return text
    }

    /// Text as GRDB binds it (up to the first NUL), or NULL.
    private func bind(_ statement: OpaquePointer, _ index: Int32, _ text: String?) {
        if let text {
            sqlite3_bind_text(statement, index, text, -1, sqliteTransient)
        } else {
            sqlite3_bind_null(statement, index)
        }
    }

    /// A blob; an empty one stays an empty blob, never NULL.
    private func bindBlob(_ statement: OpaquePointer, _ index: Int32, _ bytes: [UInt8]) {
        if bytes.isEmpty {
            sqlite3_bind_zeroblob(statement, index, 0)
        } else {
            bytes.withUnsafeBytes { _ = sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), sqliteTransient) }
        }
    }

    private func step(_ statement: OpaquePointer) throws {
        guard sqlite3_step(statement) == SQLITE_DONE else {
            let error = DatabaseError(
                resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db)), message: String(cString: sqlite3_errmsg(db)),
                sql: sqlite3_sql(statement).map { String(cString: $0) })
            sqlite3_reset(statement)
            throw error
        }
        sqlite3_reset(statement)
    }
}
