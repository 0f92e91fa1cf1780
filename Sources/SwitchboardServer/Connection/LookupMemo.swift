import Synchronization
import SwitchboardCore
import SwitchboardServices

/// What a connection keeps between its inline caller-ID lookups, so that a
/// lookup answered from memory hashes no string: the caller's region (from
/// `LookupRegions`, for the store's write generation it was read in) and the
/// account's table of the caller-ID index (for the index's epoch it was taken
/// in). Each is used again only while its generation or epoch is the current
/// one, both read before the values they guard; so the memo is never staler
/// than asking `LookupRegions` and `CallerIDIndex` each time.
///
/// The table is held strongly (a weak reference made every retain of it take
/// the runtime's slow path, a few percent of a lookup); when the index drops
/// tables, `EventBus.forgetCallerIDTables` clears every session's, so an idle
/// connection does not keep a dropped table's memory.
struct LookupMemo {
    var accountId = ""
    var userId: String?
    var generation: UInt64 = .max
    var region = ""
    var epoch: UInt64 = .max
    var table: CallerIDIndex.Table?

    /// The region and table for `principal` now; nil when the region is not kept
    /// (the lookup must take the async path, which reads and keeps it).
    static func current(
        in session: Session, for principal: Principal, regions: LookupRegions, index: CallerIDIndex?
    ) -> (region: String, table: CallerIDIndex.Table?)? {
        guard let generation = regions.generation else { return nil }
        let epoch = index?.epoch ?? 0
        return session.lookupMemo.withLock { memo in
            if memo.accountId != principal.accountId || memo.userId != principal.userId {
                memo = LookupMemo(accountId: principal.accountId, userId: principal.userId)
            }
            if memo.generation != generation {
                guard let region = regions.now(accountId: principal.accountId, userId: principal.userId) else { return nil }
                memo.generation = generation
                memo.region = region
            }
            var table = memo.table
            if memo.epoch != epoch || table == nil {
                table = index?.table(accountId: principal.accountId)
                memo.table = table
                memo.epoch = epoch
            }
            return (memo.region, table)
        }
    }
}
