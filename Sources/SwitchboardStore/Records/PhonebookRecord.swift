import Foundation
import GRDB
import SwitchboardCore

struct PhonebookEntryRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "phonebookEntry"
    var seq: Int64?
    var id: String
    var accountId: String
    var source: String
    var sortKey: Data
    var displayName: String
    var firstName: String?
    var lastName: String?
    var company: String?
    var department: String?
    var title: String?
    var email: String?
    var note: String?
    var numbers: [EntryNumber]
    var interfaceId: String?
    var externalId: String?
    var copiedFrom: String?
    var createdAt: Date
    var updatedAt: Date

    enum Columns {
        static let seq = Column(CodingKeys.seq)
        static let id = Column(CodingKeys.id)
        static let accountId = Column(CodingKeys.accountId)
        static let source = Column(CodingKeys.source)
        static let sortKey = Column(CodingKeys.sortKey)
    }

    init(_ keyed: KeyedEntry, seq: Int64? = nil) {
        let e = keyed.entry
        self.seq = seq
        id = e.id
        accountId = e.accountId
        source = e.source.rawValue
        sortKey = Data(keyed.sortKey)
        displayName = e.displayName
        firstName = e.firstName
        lastName = e.lastName
        company = e.company
        department = e.department
        title = e.title
        email = e.email
        note = e.note
        numbers = e.numbers
        interfaceId = e.interfaceId
        externalId = e.externalId
        copiedFrom = e.copiedFrom
        createdAt = e.createdAt
        updatedAt = e.updatedAt
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { seq = inserted.rowID }

    var entry: PhonebookEntry {
        PhonebookEntry(
            id: id, accountId: accountId, source: PhonebookEntry.Source(rawValue: source) ?? .manual, displayName: displayName,
            firstName: firstName, lastName: lastName, company: company, department: department, title: title, email: email,
            note: note, numbers: numbers, interfaceId: interfaceId, externalId: externalId, copiedFrom: copiedFrom,
            createdAt: createdAt, updatedAt: updatedAt)
    }

    var keyed: KeyedEntry { KeyedEntry(entry: entry, sortKey: Array(sortKey)) }

    /// The words the search index holds for this entry.
    var searchText: String {
        [displayName, firstName, lastName, company, department, title, email].compactMap { $0 }.joined(separator: " ")
    }
}

extension SQLiteStore {
    /// Writes the search and number index rows of an entry (after removing old ones).
    static func indexEntry(_ record: PhonebookEntryRecord, seq: Int64, in db: Database, replacing: Bool) throws {
        if replacing {
            try db.execute(sql: "DELETE FROM phonebookNumber WHERE entrySeq = ?", arguments: [seq])
            try db.execute(sql: "DELETE FROM phonebookWords WHERE rowid = ?", arguments: [seq])
            try db.execute(sql: "DELETE FROM phonebookDigits WHERE rowid = ?", arguments: [seq])
        }
        let numberStatement = try db.cachedStatement(sql: "INSERT INTO phonebookNumber (entrySeq, accountId, key) VALUES (?, ?, ?)")
        for key in Set(record.numbers.flatMap(\.lookupKeys)) {
            try numberStatement.execute(arguments: [seq, record.accountId, key])
        }
        try db.cachedStatement(sql: "INSERT INTO phonebookWords (rowid, text) VALUES (?, ?)").execute(arguments: [seq, record.searchText])
        let digits = record.numbers.map(\.digits).joined(separator: " ")
        if !digits.isEmpty {
            try db.cachedStatement(sql: "INSERT INTO phonebookDigits (rowid, digits) VALUES (?, ?)").execute(arguments: [seq, digits])
        }
    }

    public func insertEntries(_ entries: [KeyedEntry]) async throws {
        try await writer.write { db in
            for keyed in entries {
                var record = PhonebookEntryRecord(keyed)
                try record.insert(db)
                try Self.indexEntry(record, seq: record.seq!, in: db, replacing: false)
            }
        }
    }

    public func updateEntry(_ keyed: KeyedEntry) async throws {
        try await writer.write { db in
            guard let seq = try Int64.fetchOne(
                db, sql: "SELECT seq FROM phonebookEntry WHERE accountId = ? AND id = ?", arguments: [keyed.entry.accountId, keyed.entry.id])
            else { throw SwitchboardError.notFound("phonebook entry", id: keyed.entry.id) }
            let record = PhonebookEntryRecord(keyed, seq: seq)
            try record.update(db)
            try Self.indexEntry(record, seq: seq, in: db, replacing: true)
        }
    }

    public func deleteEntry(accountId: String, id: String) async throws -> Bool {
        try await writer.write { db in
            guard let seq = try Int64.fetchOne(db, sql: "SELECT seq FROM phonebookEntry WHERE accountId = ? AND id = ?", arguments: [accountId, id])
            else { return false }
            try db.execute(sql: "DELETE FROM phonebookWords WHERE rowid = ?", arguments: [seq])
            try db.execute(sql: "DELETE FROM phonebookDigits WHERE rowid = ?", arguments: [seq])
            try db.execute(sql: "UPDATE user SET forwardingEntryId = NULL WHERE accountId = ? AND forwardingEntryId = ?", arguments: [accountId, id])
            try db.execute(sql: "DELETE FROM phonebookEntry WHERE seq = ?", arguments: [seq])  // numbers cascade
            return true
        }
    }

    public func entry(accountId: String, id: String) async throws -> PhonebookEntry? {
        try await writer.read { db in
            try PhonebookEntryRecord.filter(PhonebookEntryRecord.Columns.accountId == accountId && PhonebookEntryRecord.Columns.id == id)
                .fetchOne(db)?.entry
        }
    }

    public func entries(accountId: String, source: PhonebookEntry.Source?, after cursor: PhonebookCursor?, limit: Int) async throws -> [KeyedEntry] {
        try await writer.read { db in
            var sql = "SELECT * FROM phonebookEntry WHERE accountId = ?"
            var arguments: StatementArguments = [accountId]
            if let source {
                sql += " AND source = ?"
                arguments += [source.rawValue]
            }
            if let cursor {
                // Keyset paging: stable while entries are added or removed elsewhere in the book.
                sql += " AND (sortKey, id) > (?, ?)"
                arguments += [Data(cursor.sortKey), cursor.id]
            }
            sql += " ORDER BY sortKey, id LIMIT ?"
            arguments += [limit]
            return try PhonebookEntryRecord.fetchAll(db, sql: sql, arguments: arguments).map(\.keyed)
        }
    }

    public func entries(accountId: String, numberKey: String) async throws -> [PhonebookEntry] {
        try await writer.read { db in
            try PhonebookEntryRecord.fetchAll(db, sql: """
                SELECT DISTINCT e.* FROM phonebookNumber n JOIN phonebookEntry e ON e.seq = n.entrySeq
                WHERE n.accountId = ? AND n.key = ? LIMIT 100
                """, arguments: [accountId, numberKey]).map(\.entry)
        }
    }

    public func search(accountId: String, words: [String], limit: Int) async throws -> [PhonebookEntry] {
        // Each word becomes a quoted prefix term; FTS5 ANDs them, in any order.
        let query = words.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"*" }.joined(separator: " ")
        guard !query.isEmpty else { return [] }
        return try await writer.read { db in
            try PhonebookEntryRecord.fetchAll(db, sql: """
                SELECT e.* FROM phonebookWords w JOIN phonebookEntry e ON e.seq = w.rowid
                WHERE phonebookWords MATCH ? AND e.accountId = ?
                ORDER BY bm25(phonebookWords), e.sortKey, e.id LIMIT ?
                """, arguments: [query, accountId, limit]).map(\.entry)
        }
    }

    public func search(accountId: String, digits: String, limit: Int) async throws -> [PhonebookEntry] {
        try await writer.read { db in
            if digits.count >= 3 {
                return try PhonebookEntryRecord.fetchAll(db, sql: """
                    SELECT e.* FROM phonebookDigits d JOIN phonebookEntry e ON e.seq = d.rowid
                    WHERE phonebookDigits MATCH ? AND e.accountId = ?
                    ORDER BY e.sortKey, e.id LIMIT ?
                    """, arguments: ["\"\(digits)\"", accountId, limit]).map(\.entry)
            }
            // Under three digits the trigram index cannot help; such short queries scan.
            return try PhonebookEntryRecord.fetchAll(db, sql: """
                SELECT e.* FROM phonebookDigits d JOIN phonebookEntry e ON e.seq = d.rowid
                WHERE e.accountId = ? AND d.digits LIKE ? ORDER BY e.sortKey, e.id LIMIT ?
                """, arguments: [accountId, "%\(digits)%", limit]).map(\.entry)
        }
    }

    public func entryCount(accountId: String) async throws -> Int {
        try await writer.read { db in
            try PhonebookEntryRecord.filter(PhonebookEntryRecord.Columns.accountId == accountId).fetchCount(db)
        }
    }

    public func user(accountId: String, extensionNumber: String) async throws -> User? {
        try await writer.read { db in
            try UserRecord.filter(UserRecord.Columns.accountId == accountId && Column("extension") == extensionNumber).fetchOne(db)?.user
        }
    }

    public func setForwarding(accountId: String, userId: String, entryId: String?) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE user SET forwardingEntryId = ? WHERE accountId = ? AND id = ?", arguments: [entryId, accountId, userId])
            if db.changesCount == 0 { throw SwitchboardError.notFound("user", id: userId) }
        }
    }

    public func forwarding(accountId: String, userId: String) async throws -> String? {
        try await writer.read { db in
            try String.fetchOne(db, sql: "SELECT forwardingEntryId FROM user WHERE accountId = ? AND id = ?", arguments: [accountId, userId])
        }
    }
}
