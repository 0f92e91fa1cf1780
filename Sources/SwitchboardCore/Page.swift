/// A page of a list: `{items, nextCursor}` on the wire.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    /// Opaque; `nil` on the last page.
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// What a list request asks for.
public struct PageRequest: Sendable, Hashable {
    public static let defaultLimit = 100
    public static let maxLimit = 1_000

    public var limit: Int
    /// Exclusive: items strictly after this key.
    public var after: String?

    /// Stores fetch one more than asked, so the page knows whether it is the last.
    public var fetchLimit: Int { limit + 1 }

    public init(limit: Int = PageRequest.defaultLimit, after: String? = nil) {
        self.limit = limit
        self.after = after
    }
}

extension Page where Item: Identifiable, Item.ID == String {
    /// A page from a keyset query that fetched up to `request.fetchLimit`
    /// items: the extra one, if present, only tells that more follow.
    public init(items: [Item], request: PageRequest) {
        if items.count > request.limit {
            let kept = Array(items.prefix(request.limit))
            self.init(items: kept, nextCursor: kept.last?.id)
        } else {
            self.init(items: items, nextCursor: nil)
        }
    }
}
