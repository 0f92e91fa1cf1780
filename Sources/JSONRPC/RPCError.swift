/// A JSON-RPC error object: `{code, message, data?}`.
///
/// Codes are an open set (a struct with static members, not an enum) so that
/// later features add codes without breaking clients of this module.
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public var description: String { String(rawValue) }

        // JSON-RPC 2.0
        public static let parseError = Code(rawValue: -32700)
        public static let invalidRequest = Code(rawValue: -32600)
        public static let methodNotFound = Code(rawValue: -32601)
        public static let invalidParams = Code(rawValue: -32602)
        public static let internalError = Code(rawValue: -32603)

        // Switchboard (server-defined range -32000…-32099)
        public static let unauthenticated = Code(rawValue: -32001)
        public static let timedOut = Code(rawValue: -32002)
        public static let forbidden = Code(rawValue: -32003)
        public static let notFound = Code(rawValue: -32004)
        public static let conflict = Code(rawValue: -32009)
        public static let validationFailed = Code(rawValue: -32022)
        public static let rateLimited = Code(rawValue: -32029)
        public static let upstreamError = Code(rawValue: -32050)
        public static let upstreamCredentials = Code(rawValue: -32051)
    }

    public var code: Code
    public var message: String
    public var data: JSONValue?

    public init(_ code: Code, _ message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String {
        var text = "\(code.rawValue): \(message)"
        if let data { text += " \(JSONWriter.string(data))" }
        return text
    }

    public var jsonValue: JSONValue {
        var object: JSONObject = ["code": .int(Int64(code.rawValue)), "message": .string(message)]
        if let data { object.append("data", data) }
        return .object(object)
    }

    /// Reads an error object received from a server.
    public init?(json: JSONValue) {
        guard let code = json["code"]?.intValue, let message = json["message"]?.stringValue else { return nil }
        self.init(Code(rawValue: Int(code)), message, data: json["data"])
    }
}

extension RPCError {
    public static func parseError(_ detail: String) -> RPCError {
        RPCError(.parseError, "Parse error: \(detail)")
    }
    public static func invalidRequest(_ detail: String, data: JSONValue? = nil) -> RPCError {
        RPCError(.invalidRequest, "Invalid Request: \(detail)", data: data)
    }
    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(.methodNotFound, "Method not found: \(method)", data: ["method": .string(method)])
    }
    /// Invalid params, naming the offending field (a dotted path, e.g. `numbers[1]`).
    public static func invalidParams(field: String, _ reason: String) -> RPCError {
        RPCError(.invalidParams, "Invalid params: \(field): \(reason)", data: ["field": .string(field), "reason": .string(reason)])
    }
    public static func invalidParams(_ reason: String) -> RPCError {
        RPCError(.invalidParams, "Invalid params: \(reason)", data: ["reason": .string(reason)])
    }
    /// Never carries internals: the detail goes to the server log, not the wire.
    public static let internalError = RPCError(.internalError, "Internal error")
}
