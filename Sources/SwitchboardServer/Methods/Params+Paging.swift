import JSONRPC
import SwitchboardCore

extension Params {
    /// `{limit, cursor}` of list methods.
    func page() throws(RPCError) -> PageRequest {
        let limit = try optionalInt("limit", in: 1...Int64(PageRequest.maxLimit)) ?? Int64(PageRequest.defaultLimit)
        return PageRequest(limit: Int(limit), after: try optionalString("cursor", maxLength: 200))
    }

    static let pagingFields: Set<String> = ["limit", "cursor"]
}

extension Page {
    /// `{items, nextCursor}`.
    func json(_ transform: (Item) -> JSONValue) -> JSONValue {
        ["items": .array(items.map(transform)), "nextCursor": JSONValue(nextCursor)]
    }
}
