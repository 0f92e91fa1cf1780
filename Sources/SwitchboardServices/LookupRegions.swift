import Synchronization
import SwitchboardCore

/// The region caller-ID lookups read numbers in (`PhonebookService.region`),
/// kept so that a lookup can be answered without waiting for the store.
///
/// An answer is kept only while the store's write generation is the one it
/// was read under: any committed write (a user's region changed, a user
/// deleted, ...) makes every kept region stale, and the next lookup reads it
/// again through `PhonebookService.region`, the one place that decides it.
/// The generation is read before the region, so a write that races with the
/// read leaves a stale mark, never a stale region.
public final class LookupRegions: Sendable {
    let book: PhonebookService
    private let kept = Mutex<(generation: UInt64, regions: [Key: String])>((0, [:]))

    struct Key: Hashable {
        var accountId: String
        var userId: String?
    }

    public init(_ book: PhonebookService) {
        self.book = book
    }

    /// The store's write generation now (nil: regions are not kept). A region
    /// `now` returns after this was read is at least as fresh as this generation.
    public var generation: UInt64? { book.immediateLookups?.writeGeneration }

    /// The region, if it is known for the current generation (never waits).
    public func now(accountId: String, userId: String?) -> String? {
        guard let generation else { return nil }
        return kept.withLock { kept in
            kept.generation == generation ? kept.regions[Key(accountId: accountId, userId: userId)] : nil
        }
    }

    /// The region, read through `PhonebookService.region` when not known.
    public func region(accountId: String, userId: String?) async throws -> String {
        if let region = now(accountId: accountId, userId: userId) { return region }
        guard let generation else { return try await book.region(accountId: accountId, userId: userId) }
        let region = try await book.region(accountId: accountId, userId: userId)
        kept.withLock { kept in
            if kept.generation != generation {
                guard generation > kept.generation else { return }  // a newer generation is already kept
                kept = (generation, [:])
            }
            kept.regions[Key(accountId: accountId, userId: userId)] = region
        }
        return region
    }
}
