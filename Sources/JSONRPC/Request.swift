/// A validated JSON-RPC 2.0 request or notification.
public struct Request: Sendable {
    /// `nil` for a notification. Otherwise a string, number or null.
    public var id: JSONValue?
    public var method: String
    /// `nil` when params were given by position (an array), which this protocol refuses.
    public var params: Params?

    public init(id: JSONValue?, method: String, params: JSONObject = JSONObject()) {
        self.id = id
        self.method = method
        self.params = Params(params)
    }

    public var isNotification: Bool { id == nil }

    /// The request as a JSON object, for clients.
    public var jsonValue: JSONValue {
        var object: JSONObject = ["jsonrpc": "2.0"]
        if let id { object.append("id", id) }
        object.append("method", .string(method))
        if let params, !params.object.isEmpty { object.append("params", .object(params.object)) }
        return .object(object)
    }

    public struct Invalid: Error, Sendable {
        public var error: RPCError
        /// The request's id when it could be read, else null.
        public var id: JSONValue
    }

    /// Checks the envelope: `jsonrpc` is exactly "2.0", `method` a string,
    /// `id` a string, number or null, `params` an object or array if present.
    public static func validate(_ message: JSONValue) -> Result<Request, Invalid> {
        guard case .object(let object) = message else {
            return .failure(Invalid(error: .invalidRequest("expected an object, got \(message.typeName)"), id: .null))
        }
        var id: JSONValue? = nil
        var readableId: JSONValue = .null
        if let rawId = object["id"] {
            switch rawId {
            case .string, .int, .null:
                id = rawId
                readableId = rawId
            case .double(let d) where d.rounded() == d:
                id = rawId
                readableId = rawId
            default:
                return .failure(Invalid(error: .invalidRequest("id must be a string, an integer or null"), id: .null))
            }
        }
        guard object["jsonrpc"] == .string("2.0") else {
            return .failure(Invalid(error: .invalidRequest("jsonrpc must be \"2.0\""), id: readableId))
        }
        guard let methodValue = object["method"] else {
            return .failure(Invalid(error: .invalidRequest("method is missing"), id: readableId))
        }
        guard case .string(let method) = methodValue else {
            return .failure(Invalid(error: .invalidRequest("method must be a string"), id: readableId))
        }
        for member in object.members {
            switch member.key {
            case "jsonrpc", "id", "method", "params": continue
            default: return .failure(Invalid(error: .invalidRequest("unexpected member \"\(member.key)\""), id: readableId))
            }
        }
        var request = Request(id: id, method: method)
        switch object["params"] {
        case nil, .null?: break
        case .object(let params)?: request.params = Params(params)
        case .array?: request.params = nil
        case let other?:
            return .failure(Invalid(error: .invalidRequest("params must be an object, got \(other.typeName)"), id: readableId))
        }
        return .success(request)
    }
}
