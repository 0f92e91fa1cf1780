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
