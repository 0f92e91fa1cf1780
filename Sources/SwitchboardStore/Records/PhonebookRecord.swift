import Foundation
import GRDB
import SwitchboardCore

/// Row mapping for `phonebookEntry`, written by hand rather than with
/// Codable: the phonebook is read on every caller-ID lookup and written a
/// million rows at a time by syncs, and column access by index with cached
/// statements is several times faster than keyed decoding.
enum PhonebookEntryRow {
    /// Columns in the order every SELECT of this file uses.
    static let columns = """
        seq, id, accountId, source, sortKey, displayName, firstName, lastName, company, department, title, email, note, \
        numbers, interfaceId, externalId, copiedFrom, createdAt, updatedAt, scope, remoteVersion
        """
    static let prefixedColumns = columns.split(separator: ",").map { "e." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        .joined(separator: ", ")

    static let insertSQL = """
        INSERT INTO phonebookEntry (id, accountId, source, sortKey, displayName, firstName, lastName, company, department, title, \
        email, note, numbers, interfaceId, externalId, copiedFrom, createdAt, updatedAt, sourceHash, scope, remoteVersion, answer) \
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let updateSQL = """
        UPDATE phonebookEntry SET sortKey = ?, displayName = ?, firstName = ?, lastName = ?, company = ?, department = ?, \
        title = ?, email = ?, note = ?, numbers = ?, updatedAt = ?, sourceHash = ?, scope = ?, remoteVersion = ?, answer = ? WHERE seq = ?
        """

    /// `answer`: the entry's rendered answer (`AnswerRenderer.answer(for:)`); nil stores NULL, to be rendered later.
    static func updateArguments(_ keyed: KeyedEntry, seq: Int64, answer: [UInt8]?) -> StatementArguments {
        let e = keyed.entry
        return [
            Data(keyed.sortKey), e.displayName, e.firstName, e.lastName, e.company, e.department, e.title, e.email, e.note,
            encodeNumbers(e.numbers), e.updatedAt, keyed.sourceHash.map { Int64(bitPattern: $0) }, e.scope?.rawValue, e.remoteVersion,
            answer.map { Data($0) }, seq,
        ]
    }

    static func keyed(_ row: Row) -> KeyedEntry {
        let entry = PhonebookEntry(
            id: row[1], accountId: row[2], source: source(stored: row[3]), displayName: row[5],
            firstName: row[6], lastName: row[7], company: row[8], department: row[9], title: row[10], email: row[11], note: row[12],
            numbers: decodeNumbers(row[13]), interfaceId: row[14], externalId: row[15], copiedFrom: row[16],
            createdAt: row[17], updatedAt: row[18], scope: (row[19] as String?).flatMap(ContactScope.init(rawValue:)),
            remoteVersion: row[20])
        let key: Data = row[4]
        return KeyedEntry(entry: entry, sortKey: Array(key))
    }

    static func entry(_ row: Row) -> PhonebookEntry { keyed(row).entry }

    /// The stored source code: "S" is synced, anything else (only "M" is written) manual.
    static func source(stored text: String?) -> PhonebookEntry.Source {
        text == PhonebookEntry.Source.synced.rawValue ? .synced : .manual
    }

    /// `source(stored:)` of a column's bytes, without making a String (lookups read it on every hit).
    static func source(storedBytes bytes: UnsafeRawBufferPointer?) -> PhonebookEntry.Source {
        guard let bytes, bytes.count == 1, bytes[0] == syncedByte else { return .manual }
        return .synced
    }

    private static let syncedByte = PhonebookEntry.Source.synced.rawValue.utf8.first!

    // Numbers are stored as text: fields joined by U+001F, numbers by U+001E,
    // lookup keys by U+001D. Compact, and decoded without a JSON parser.
    static func encodeNumbers(_ numbers: [EntryNumber]) -> String {
        numbers.map { n in
            [n.kind.rawValue, n.raw, n.e164 ?? "", n.display, n.digits, n.lookupKeys.joined(separator: "\u{1D}")]
                .joined(separator: "\u{1F}")
        }.joined(separator: "\u{1E}")
    }

    static func decodeNumbers(_ text: String) -> [EntryNumber] {
        guard !text.isEmpty else { return [] }
        var text = text
        // The separators are ASCII control bytes, so splitting UTF-8 bytes is safe.
        return text.withUTF8 { bytes in
            var numbers: [EntryNumber] = []
            var fields: [String] = []
            fields.reserveCapacity(6)
            var keys: [String] = []
            var start = 0
            func field(_ end: Int) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) }
            for i in 0...bytes.count {
                let byte: UInt8 = i < bytes.count ? bytes[i] : 0x1E
                switch byte {
                case 0x1D:
                    keys.append(field(i))
                    start = i + 1
                case 0x1F:
                    fields.append(field(i))
                    start = i + 1
                case 0x1E:
                    if fields.count == 5, i > start || !keys.isEmpty { keys.append(field(i)) }
                    if fields.count == 5, let kind = EntryNumber.Kind(rawValue: fields[0]) {
                        numbers.append(EntryNumber(
                            kind: kind, raw: fields[1], e164: fields[2].isEmpty ? nil : fields[2], display: fields[3], digits: fields[4],
                            lookupKeys: keys))
                    }
                    fields.removeAll(keepingCapacity: true)
                    keys = []
                    start = i + 1
                default:
                    continue
                }
            }
            return numbers
        }
    }

    /// Whether encoded numbers hold one kept as typed (no E.164): what ranking asks of
    /// a row's numbers on suffix matches, read with the one decoder of the format.
    static func anyKeptAsTyped(_ bytes: UnsafeRawBufferPointer) -> Bool {
        decodeNumbers(String(decoding: bytes, as: UTF8.self)).contains { $0.e164 == nil }
    }

    /// The words the search index holds for an entry.
    static func searchText(_ e: PhonebookEntry) -> String {
        [e.displayName, e.firstName, e.lastName, e.company, e.department, e.title, e.email].compactMap { $0 }.joined(separator: " ")
    }
}

extension SQLiteStore {
    /// Replaces the search and number index rows of a stored entry. `oldNumbers`: the row's
    /// numbers before the update (they list the keys to remove); `unchanged`: parts that stay.
    static func reindexEntry(_ entry: PhonebookEntry, seq: Int64, oldNumbers: String, in db: Database, unchanged: IndexParts = []) throws {
        let texts = EntryIndexTexts(entry)
        if !unchanged.contains(.words) {
            try db.cachedStatement(sql: "DELETE FROM phonebookWords WHERE rowid = ?").execute(arguments: [seq])
            try db.cachedStatement(sql: "INSERT INTO phonebookWords (rowid, text) VALUES (?, ?)").execute(arguments: [seq, texts.words])
        }
        guard !unchanged.contains(.numbers) else { return }
        try removeNumberKeys(accountId: entry.accountId, of: [(seq, oldNumbers)], in: db)
        try db.cachedStatement(sql: "DELETE FROM phonebookDigits WHERE rowid = ?").execute(arguments: [seq])
        let numberStatement = try db.cachedStatement(sql: "INSERT INTO phonebookNumber (entrySeq, accountId, key) VALUES (?, ?, ?)")
        for key in texts.keys {
            try numberStatement.execute(arguments: [seq, entry.accountId, key])
        }
        if !texts.digits.isEmpty {
            try db.cachedStatement(sql: "INSERT INTO phonebookDigits (rowid, digits) VALUES (?, ?)").execute(arguments: [seq, texts.digits])
        }
    }

    static func fetchEntries(_ db: Database, sql: String, arguments: StatementArguments) throws -> [PhonebookEntry] {
        try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map(PhonebookEntryRow.entry)
    }

    public func insertEntries(_ entries: [KeyedEntry]) async throws {
        try await writeBatch(inserts: entries, updates: [], staging: false)
    }

    public func updateEntry(_ keyed: KeyedEntry) async throws {
        let renderer = answerRenderer
        try await write { db in
            var renderer = renderer
            try Self.replaceEntry(keyed, renderer: &renderer, in: db)
        }
    }

    /// Replaces an entry's fields, rendered answer and index rows, found by `seq` or else by (account, id).
    /// The fields an update keeps (id, source, origin, creation date) are the row's, whatever `keyed` says.
    static func replaceEntry(_ keyed: KeyedEntry, renderer: inout AnswerRenderer, in db: Database) throws {
        guard let seq = try keyed.seq ?? Int64.fetchOne(
            db.cachedStatement(sql: "SELECT seq FROM phonebookEntry WHERE accountId = ? AND id = ?"), arguments: [keyed.entry.accountId, keyed.entry.id])
        else { throw SwitchboardError.notFound("phonebook entry", id: keyed.entry.id) }
        // What the indexes hold now: parts that did not change are not re-indexed (an FTS5
        // delete costs more than the whole row update).
        let old = try Row.fetchOne(
            db.cachedStatement(sql: """
                SELECT numbers, displayName, firstName, lastName, company, department, title, email, \
                id, source, interfaceId, externalId, copiedFrom, createdAt, accountId, sortKey FROM phonebookEntry WHERE seq = ?
                """),
            arguments: [seq])
        var updated = keyed.entry
        if let old {
            updated.id = old[8]
            updated.source = PhonebookEntryRow.source(stored: old[9])
            updated.interfaceId = old[10]
            updated.externalId = old[11]
            updated.copiedFrom = old[12]
            updated.createdAt = old[13]
        }
        let answer = renderer.answer(for: updated)
        try db.cachedStatement(sql: PhonebookEntryRow.updateSQL).execute(arguments: PhonebookEntryRow.updateArguments(keyed, seq: seq, answer: answer))
        var unchanged: IndexParts = []
        if let old {
            if (old[0] as String?) == PhonebookEntryRow.encodeNumbers(keyed.entry.numbers) { unchanged.insert(.numbers) }
            // Same columns, same order as `PhonebookEntryRow.searchText`.
            let oldWords = (1...7).compactMap { (column: Int) -> String? in old[column] }.joined(separator: " ")
            if oldWords == PhonebookEntryRow.searchText(keyed.entry) { unchanged.insert(.words) }
        }
        try reindexEntry(keyed.entry, seq: seq, oldNumbers: old?[0] ?? "", in: db, unchanged: unchanged)
        if let old, let oldSortKey = old[15] as Data? {
            try moveOrder(accountId: old[14], seq: seq, id: old[8], from: oldSortKey, to: Data(keyed.sortKey), in: db)
        }
    }

    /// The index rows of an entry, by what they are made from.
    struct IndexParts: OptionSet {
        let rawValue: Int
        /// Number keys and digit trigrams (from the numbers).
        static let numbers = IndexParts(rawValue: 1)
        /// Search words (from the names, company, e-mail).
        static let words = IndexParts(rawValue: 2)
    }

    public func deleteEntry(accountId: String, id: String) async throws -> Bool {
        try await write { db in
            guard let seq = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT seq FROM phonebookEntry WHERE accountId = ? AND id = ?"), arguments: [accountId, id])
            else { return false }
            return try Self.removeEntries(accountId: accountId, seqs: [seq], in: db) == 1
        }
    }

    public func syncedEntries(accountId: String, interfaceId: String) async throws -> [String: SyncedEntryState] {
        try await writer.read { db in
            var states: [String: SyncedEntryState] = [:]
            // Sized once (a count over the covering external-id index): a million entries would
            // otherwise grow the table twenty times, rehashing every key each time.
            states.reserveCapacity(try Int.fetchOne(db, sql: """
                SELECT count(*) FROM phonebookEntry WHERE accountId = ? AND interfaceId = ? AND externalId IS NOT NULL
                """, arguments: [accountId, interfaceId]) ?? 0)
            let rows = try Row.fetchCursor(db, sql: """
                SELECT externalId, seq, sourceHash FROM phonebookEntry
                WHERE accountId = ? AND interfaceId = ? AND externalId IS NOT NULL
                """, arguments: [accountId, interfaceId])
            while let row = try rows.next() {
                let hash: Int64? = row[2]
                states[row[0]] = SyncedEntryState(seq: row[1], sourceHash: hash.map { UInt64(bitPattern: $0) })
            }
            return states
        }
    }

    public func writeSyncBatch(inserts: [KeyedEntry], updates: [KeyedEntry]) async throws {
        try await writeBatch(inserts: inserts, updates: updates, staging: true)
    }

    /// New entries inserted (staged for the number keys and the order, or not) and changed ones replaced, in one transaction.
    private func writeBatch(inserts: [KeyedEntry], updates: [KeyedEntry], staging: Bool) async throws {
        guard !inserts.isEmpty || !updates.isEmpty else { return }
        // What the rows are made of is derived before the transaction: the writer is a sync's
        // one serial stage, and this runs beside the parsing of the next batch.
        var renderer = answerRenderer
        let rows = inserts.map { PhonebookBatchInserter.Row($0, answer: renderer.answer(for: $0.entry)) }
        try await write { [renderer] db in
            var renderer = renderer
            let inserter = try PhonebookBatchInserter(db, staging: staging)
            for row in rows { try inserter.insert(row) }
            for keyed in updates { try Self.replaceEntry(keyed, renderer: &renderer, in: db) }
        }
    }

    public func deleteEntries(accountId: String, seqs: [Int64]) async throws -> Int {
        var deleted = 0
        // In row order (a run's unseen entries come in no order at all), and in slices, so
        // other writers get turns during a large removal.
        let seqs = seqs.sorted()
        for start in stride(from: 0, to: seqs.count, by: Self.entriesPerRemovalTransaction) {
            let slice = Array(seqs[start..<min(start + Self.entriesPerRemovalTransaction, seqs.count)])
            deleted += try await write { db in try Self.removeEntries(accountId: accountId, seqs: slice, in: db) }
        }
        return deleted
    }

    public func entry(accountId: String, id: String) async throws -> PhonebookEntry? {
        try await writer.read { db in
            try Self.fetchEntries(
                db, sql: "SELECT \(PhonebookEntryRow.columns) FROM phonebookEntry WHERE accountId = ? AND id = ?", arguments: [accountId, id]
            ).first
        }
    }

    public func entries(accountId: String, filter: PhonebookFilter, after cursor: PhonebookCursor?, limit: Int) async throws -> [KeyedEntry] {
        let (sql, arguments) = Self.listQuery(accountId: accountId, filter: filter, after: cursor, limit: limit)
        return try await writer.read { db in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map(PhonebookEntryRow.keyed)
        }
    }

    /// A page of the book in its order. Keyset paging on (sortKey, id): stable while entries
    /// are added or removed elsewhere in the book.
    static func listQuery(accountId: String, filter: PhonebookFilter, after cursor: PhonebookCursor?, limit: Int) -> (String, StatementArguments) {
        var sql: String
        var arguments: StatementArguments = [accountId]
        let order: String
        if filter.source == .manual {
            // Manual entries have an index of their own (and are never staged: only syncs stage).
            sql = "SELECT \(PhonebookEntryRow.prefixedColumns) FROM phonebookEntry e WHERE e.accountId = ?"
            order = "e"
        } else {
            // The book's order, then each entry by its row number.
            sql = """
                SELECT \(PhonebookEntryRow.prefixedColumns) FROM phonebookOrder o CROSS JOIN phonebookEntry e \
                WHERE o.accountId = ? AND e.seq = o.entrySeq
                """
            order = "o"
        }
        restrict(&sql, &arguments, to: filter, table: "e")
        if let cursor {
            sql += " AND (\(order).sortKey, \(order).id) > (?, ?)"
            arguments += [Data(cursor.sortKey), cursor.id]
        }
        sql += " ORDER BY \(order).sortKey, \(order).id LIMIT ?"
        arguments += [limit]
        return (sql, arguments)
    }

    public func entries(accountId: String, numberKey: String) async throws -> [PhonebookEntry] {
        // Each (entry, key) pair is indexed once, so no DISTINCT is needed.
        if let lookupConnections { return try lookupConnections.entries(accountId: accountId, key: numberKey) }
        return try await writer.read { db in
            try Self.fetchEntries(db, sql: """
                SELECT \(PhonebookEntryRow.prefixedColumns) FROM phonebookNumber n JOIN phonebookEntry e ON e.seq = n.entrySeq
                WHERE n.accountId = ? AND n.key = ? LIMIT 1000
                """, arguments: [accountId, numberKey])
        }
    }

    /// Adds the filter's conditions to a WHERE clause over `table` (a name or an alias).
    static func restrict(_ sql: inout String, _ arguments: inout StatementArguments, to filter: PhonebookFilter, table: String) {
        if let source = filter.source {
            // Written out, not bound: the planner can then use the index of manual entries
            // (`phonebookEntry_manualOrder`, partial on source = 'M'). The raw values are the enum's own.
            sql += " AND \(table).source = '\(source.rawValue)'"
        }
        if let interfaceId = filter.interfaceId {
            sql += " AND \(table).interfaceId = ?"
            arguments += [interfaceId]
        }
        if let scope = filter.scope {
            sql += " AND \(table).scope = ?"
            arguments += [scope.rawValue]
        }
    }

    public func search(accountId: String, words: [String], filter: PhonebookFilter, limit: Int) async throws -> [PhonebookEntry] {
        // Each word becomes a quoted prefix term; FTS5 ANDs them, in any order.
        let query = words.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"*" }.joined(separator: " ")
        guard !query.isEmpty else { return [] }
        // Searches can touch many rows: they run on GRDB's readers, not the caller's thread.
        return try await writer.read { db in
            var sql = """
                SELECT \(PhonebookEntryRow.prefixedColumns) FROM phonebookWords w JOIN phonebookEntry e ON e.seq = w.rowid
                WHERE phonebookWords MATCH ? AND e.accountId = ?
                """
            var arguments: StatementArguments = [query, accountId]
            Self.restrict(&sql, &arguments, to: filter, table: "e")
            sql += " ORDER BY bm25(phonebookWords), e.sortKey, e.id LIMIT ?"
            arguments += [limit]
            return try Self.fetchEntries(db, sql: sql, arguments: arguments)
        }
    }

    public func search(accountId: String, digits: String, filter: PhonebookFilter, limit: Int) async throws -> [PhonebookEntry] {
        try await writer.read { db in
            var sql = "SELECT \(PhonebookEntryRow.prefixedColumns) FROM phonebookDigits d JOIN phonebookEntry e ON e.seq = d.rowid WHERE "
            var arguments: StatementArguments
            if digits.count >= 3 {
                sql += "phonebookDigits MATCH ? AND e.accountId = ?"
                arguments = ["\"\(digits)\"", accountId]
            } else {
                // Under three digits the trigram index cannot help; such short queries scan.
                sql += "e.accountId = ? AND d.digits LIKE ?"
                arguments = [accountId, "%\(digits)%"]
            }
            Self.restrict(&sql, &arguments, to: filter, table: "e")
            sql += " ORDER BY e.sortKey, e.id LIMIT ?"
            arguments += [limit]
            return try Self.fetchEntries(db, sql: sql, arguments: arguments)
        }
    }

    public func user(accountId: String, extensionNumber: String) async throws -> User? {
        try await writer.read { db in
            try UserRecord.filter(UserRecord.Columns.accountId == accountId && Column("extension") == extensionNumber).fetchOne(db)?.user
        }
    }

    public func setForwarding(accountId: String, userId: String, entryId: String?) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE user SET forwardingEntryId = ? WHERE accountId = ? AND id = ?", arguments: [entryId, accountId, userId])
            if db.changesCount == 0 { throw SwitchboardError.notFound("user", id: userId) }
        }
    }

    public func collationVersion(accountId: String) async throws -> String? {
        try await writer.read { db in
            try String.fetchOne(db, sql: "SELECT collationVersion FROM account WHERE id = ?", arguments: [accountId])
        }
    }

    public func rebuildSortKeys(accountId: String, version: String, makeKey: @Sendable (String) -> [UInt8]) async throws -> Int {
        var rebuilt = 0
        var after: Int64 = 0
        while true {
            // One transaction per batch keeps the writer available to others in between.
            let start = after
            let (count, last) = try await write { db -> (Int, Int64) in
                let rows = try Row.fetchAll(db, sql: """
                    SELECT seq, displayName, company FROM phonebookEntry WHERE accountId = ? AND seq > ? ORDER BY seq LIMIT 5000
                    """, arguments: [accountId, start])
                let update = try db.cachedStatement(sql: "UPDATE phonebookEntry SET sortKey = ? WHERE seq = ?")
                for row in rows {
                    let name: String = row[1]
                    let company: String? = row[2]
                    let text = name.isEmpty ? (company ?? "") : name
                    try update.execute(arguments: [Data(makeKey(text)), row[0] as Int64])
                }
                return (rows.count, rows.last?[0] ?? start)
            }
            rebuilt += count
            after = last
            if count < 5000 { break }
        }
        try await write { db in
            // The book's order follows the new keys (staged entries are placed when published).
            try db.execute(sql: "DELETE FROM phonebookOrder WHERE accountId = ?", arguments: [accountId])
            try db.execute(sql: """
                INSERT INTO phonebookOrder (accountId, sortKey, id, entrySeq)
                SELECT accountId, sortKey, id, seq FROM phonebookEntry
                WHERE accountId = ? AND seq NOT IN (SELECT entrySeq FROM phonebookOrderStaged)
                ORDER BY sortKey, id
                """, arguments: [accountId])
            try db.execute(sql: "UPDATE account SET collationVersion = ? WHERE id = ?", arguments: [version, accountId])
        }
        return rebuilt
    }
}
