import Foundation

/// Where a phonebook list page starts: after this (sort key, id).
public struct PhonebookCursor: Sendable, Hashable {
    public var sortKey: [UInt8]
    public var id: String
    public init(sortKey: [UInt8], id: String) {
        self.sortKey = sortKey
        self.id = id
    }
}

/// An entry with the collation key it is sorted by.
public struct KeyedEntry: Sendable {
    public var entry: PhonebookEntry
    /// Locale collation key (memcmp order = alphabetical order in the account's locale).
    public var sortKey: [UInt8]
    /// Synced entries: the hash of the source row it was made from (`SourceContact.contentHash`).
    public var sourceHash: UInt64?
    /// The stored row this entry replaces (a sync's update); nil for a new entry.
    public var seq: Int64?
    public init(entry: PhonebookEntry, sortKey: [UInt8], sourceHash: UInt64? = nil, seq: Int64? = nil) {
        self.entry = entry
        self.sortKey = sortKey
        self.sourceHash = sourceHash
        self.seq = seq
    }
}

/// A synced entry as the sync engine needs to know it: to tell unchanged rows
/// from changed ones without reading the entry, and to remove unseen ones.
public struct SyncedEntryState: Sendable, Equatable {
    /// The stored row (a number, not the entry id: a sync holds a million of these).
    public var seq: Int64
    public var sourceHash: UInt64?
    public init(seq: Int64, sourceHash: UInt64?) {
        self.seq = seq
        self.sourceHash = sourceHash
    }
}

/// Phonebook persistence. Every call is scoped by account.
public protocol PhonebookStore: Sendable {
    func insertEntries(_ entries: [KeyedEntry]) async throws
    /// The synced entries of an interface by their external id.
    func syncedEntries(accountId: String, interfaceId: String) async throws -> [String: SyncedEntryState]
    /// One batch of a sync in one transaction: new entries inserted, changed ones replaced (by `seq`).
    /// The new entries are staged: caller-ID lookups find them, and listings show them, once
    /// `publishStagedEntries()` has run (get and search find them at once).
    func writeSyncBatch(inserts: [KeyedEntry], updates: [KeyedEntry]) async throws
    /// Indexes staged entries — their number keys and their place in the book's order — in
    /// key order (a few transactions for a million entries); returns how many it published.
    func publishStagedEntries() async throws -> Int
    /// Deletes stored rows (synced entries whose source row is gone); returns how many were deleted.
    func deleteEntries(accountId: String, seqs: [Int64]) async throws -> Int
    /// Throws `notFound` when absent from that account.
    func updateEntry(_ entry: KeyedEntry) async throws
    func deleteEntry(accountId: String, id: String) async throws -> Bool
    func entry(accountId: String, id: String) async throws -> PhonebookEntry?
    /// Alphabetical (by sort key, then id), after `cursor`, up to `limit` entries.
    func entries(accountId: String, filter: PhonebookFilter, after cursor: PhonebookCursor?, limit: Int) async throws -> [KeyedEntry]
    /// Entries with a number indexed under this lookup key ("e164:+49…", "suffix:…"),
    /// at most 1,000, unordered (the caller ranks them).
    func entries(accountId: String, numberKey: String) async throws -> [PhonebookEntry]
    /// Word-prefix search over names, company, department, title and e-mail
    /// (accent- and case-insensitive, any order), best first.
    func search(accountId: String, words: [String], filter: PhonebookFilter, limit: Int) async throws -> [PhonebookEntry]
    /// Entries with a number containing `digits` anywhere.
    func search(accountId: String, digits: String, filter: PhonebookFilter, limit: Int) async throws -> [PhonebookEntry]
    /// The user of the account with this internal extension.
    func user(accountId: String, extensionNumber: String) async throws -> User?
    /// Sets (or clears) the phonebook entry a user's calls are forwarded to.
    func setForwarding(accountId: String, userId: String, entryId: String?) async throws

    /// The collator version an account's sort keys were made with (nil: never recorded).
    func collationVersion(accountId: String) async throws -> String?
    /// Remakes every sort key of the account with `makeKey` and records `version`, in batches.
    func rebuildSortKeys(accountId: String, version: String, makeKey: @Sendable (String) -> [UInt8]) async throws -> Int
}

/// Which entries a listing or search covers.
public struct PhonebookFilter: Sendable, Equatable {
    public var source: PhonebookEntry.Source?
    /// Synced entries of one interface (the contacts of one system).
    public var interfaceId: String?
    public var scope: ContactScope?

    public init(source: PhonebookEntry.Source? = nil, interfaceId: String? = nil, scope: ContactScope? = nil) {
        self.source = source
        self.interfaceId = interfaceId
        self.scope = scope
    }

    public static let all = PhonebookFilter()
    /// The contacts mirrored from systems.
    public static let synced = PhonebookFilter(source: .synced)
}
