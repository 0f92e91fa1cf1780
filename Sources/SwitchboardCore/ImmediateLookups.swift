/// Reads a store can answer at once, on the caller's thread: bounded local
/// reads that never wait for a task (see `SQLiteStore.lookupConnections`).
/// Caller-ID lookups use them to be answered on a connection's event loop.
public protocol ImmediateLookups: Sendable {
    /// Changes after every committed write; nil when the store cannot tell
    /// (then nothing read from it may be cached).
    var writeGeneration: UInt64? { get }
    /// Visits, synchronously, the entries `PhonebookStore.entries(accountId:numberKey:)`
    /// returns, as views of their rows. Returns false when this store cannot
    /// read without waiting, or a row has no rendered answer yet: what was
    /// visited (if anything) must then be dropped.
    func visitEntriesNow(accountId: String, numberKey: String, _ visit: (EntryRowView) throws -> Void) throws -> Bool

    /// Visits, synchronously and in one snapshot, every entry indexed under a key
    /// that starts with `keyPrefix` in `accountId`, with the key, in key order.
    /// Returns false when this store cannot, or a row has no rendered answer yet.
    func visitKeyedEntriesNow(accountId: String, keyPrefix: String, _ visit: (UTF8Text, EntryRowView) throws -> Void) throws -> Bool
    /// Every account's id, read synchronously (nil when this store cannot).
    func accountIdsNow() throws -> [String]?
    /// Calls `observer` after every committed write that changed entries or their
    /// number keys, with the accounts whose they were (nil: any account), before the write returns.
    func observePhonebookChanges(_ observer: @escaping @Sendable (Set<String>?) -> Void)
}
