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

    public init(limit: Int = PageRequest.defaultLimit, after: String? = nil) {
        self.limit = limit
        self.after = after
    }
}

extension Page where Item: Identifiable, Item.ID == String {
    /// A page from a keyset query that fetched at most `request.limit` items:
    /// a full page may have more after it, so its last id is the cursor.
    public init(items: [Item], request: PageRequest) {
        self.init(items: items, nextCursor: items.count == request.limit ? items.last?.id : nil)
    }
}
