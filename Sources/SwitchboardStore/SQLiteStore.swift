import CSQLiteOptions
import Foundation
import GRDB
import SwitchboardCore
import Synchronization

/// The embedded store: one SQLite file in WAL mode behind a GRDB `DatabasePool`.
///
/// Every write is one transaction, committed (and so durable, with
/// `synchronous = FULL`) before the method returns and the server answers.
public final class SQLiteStore: SwitchboardStore {
    let writer: any DatabaseWriter
    /// Raw connections for caller-ID lookups, read synchronously on the
    /// caller's thread (file databases only). They are kept apart from
    /// `writer`'s readers on purpose: an async read holds its reader until its
    /// task resumes, so a thread blocked waiting for one of *those* readers
    /// could wait forever for a task that needs that very thread. These are
    /// only ever used synchronously, so a wait for them always ends.
    let lookupConnections: LookupConnections?
    /// How each entry's caller-ID answer is rendered and kept with it; nil
    /// keeps none (lookups then build their answers from the entries).
    let answerFormat: EntryAnswerFormat?
    /// Which accounts' phonebooks each write changed (see `PhonebookChanges`).
    let phonebookChanges = PhonebookChanges()

    /// Opens (creating if needed) the database file and migrates it. With an
    /// `answerFormat`, stored answers of another format are cleared (to be
    /// rendered again by `renderPendingAnswers`).
    public convenience init(path: String, answerFormat: EntryAnswerFormat? = nil) throws {
        _ = Self.processOptions
        let pool = try DatabasePool(path: path, configuration: Self.makeConfiguration())
        try self.init(pool, lookupConnections: LookupConnections(path: path), answerFormat: answerFormat)
    }

    /// An in-memory database with the same schema, for unit tests.
    public static func inMemory() throws -> SQLiteStore {
        try SQLiteStore(DatabaseQueue(configuration: makeConfiguration()))
    }

    init(_ writer: any DatabaseWriter, lookupConnections: LookupConnections? = nil, answerFormat: EntryAnswerFormat? = nil) throws {
        self.writer = writer
        self.lookupConnections = lookupConnections
        self.answerFormat = answerFormat
        try Self.migrator.migrate(writer)
        if let answerFormat { try Self.adopt(answerFormat, in: writer) }
        try writer.writeWithoutTransaction { db in try phonebookChanges.install(on: db) }
    }

    /// Process-wide SQLite options, set before the first connection opens (see `CSQLiteOptions`).
    static let processOptions: Void = { _ = switchboard_sqlite_configure() }()

    /// The writer connection's page cache, in KiB (64 MiB). SQLite's sorter may use as much again.
    static let writerCacheKiB = 65_536

    static func makeConfiguration() -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // WAL + FULL: a commit is on disk before we acknowledge it.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            if !db.configuration.readonly {
                // The writer's page cache: a sync inserts at random places in several large
                // indexes; with SQLite's 2 MB default most of its time went to re-reading pages.
                try db.execute(sql: "PRAGMA cache_size = -\(writerCacheKiB)")
                // Checkpoint every ~32 MiB of WAL instead of 4 MiB: a page a sync changes in
                // several batches is copied back to the database once, not once per batch.
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 8192")
                // A WAL that one large transaction grew (a sync's publishing writes hundreds of
                // MiB) is cut back to this when it next starts over, instead of keeping its size.
                try db.execute(sql: "PRAGMA journal_size_limit = \(walSizeLimitBytes)")
            }
        }
        return configuration
    }

    /// Every write of the store goes through here: one transaction, committed
    /// when this returns. Lookup connections then drop the snapshot they keep
    /// between lookups, and the accounts whose phonebooks changed are told
    /// (`PhonebookChanges`), so a lookup that starts after a write was
    /// acknowledged sees it (see `LookupConnections`, `CallerIDIndex`).
    ///
    /// A full disk (SQLite cannot grow the database or its WAL) is `SwitchboardError.storageFull`;
    /// the transaction was rolled back.
    func write<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws -> T {
        let changed = Mutex<Set<String>?>([])
        defer {
            lookupConnections?.dataChanged()
            phonebookChanges.committed(changed.withLock { $0 })
        }
        let changes = phonebookChanges
        do {
            return try await writer.write { db in
                // Taken before the commit, on the writer's thread: the next write cannot have begun.
                defer { changed.withLock { $0 = changes.take() } }
                return try updates(db)
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            throw SwitchboardError.storageFull
        }
    }

    /// Calls `observer` after every write that changed phonebook entries or their
    /// number keys, with the accounts whose they were (nil: any account), before the write returns.
    public func observePhonebookChanges(_ observer: @escaping @Sendable (Set<String>?) -> Void) {
        phonebookChanges.observe(observer)
    }

    /// The size the WAL is cut back to when it starts over (32 MiB, one automatic checkpoint's worth).
    static let walSizeLimitBytes = 32 << 20

    /// Closes the database; used at shutdown so the WAL is checkpointed and truncated: the
    /// database file alone then holds everything, and a backup restored over it after a
    /// clean stop is read as it is. (Only emptying the WAL would let a cleanly stopped server
    /// start on a full disk, where GRDB writes to a database whose WAL file is empty; but the
    /// frames left in it stay valid, and would be read over a restored file. Not done.)
    public func close() throws {
        lookupConnections?.endSnapshots()
        try? writer.writeWithoutTransaction { db in phonebookChanges.remove(from: db) }
        if let pool = writer as? DatabasePool {
            _ = try? pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
            try pool.close()
        } else if let queue = writer as? DatabaseQueue {
            try queue.close()
        }
    }

    /// Maps SQLite constraint violations on unique indexes to a conflict naming the field.
    static func mapUniqueViolation<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            let message = error.message ?? ""
            if message.contains(".email") { throw SwitchboardError.conflict("e-mail address already in use in this account", field: "email") }
            if message.contains(".extension") { throw SwitchboardError.conflict("extension already in use in this account", field: "extension") }
            throw SwitchboardError.conflict("already exists")
        }
    }
}
