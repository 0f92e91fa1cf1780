/// One request as the server received it.
public struct HTTPTestRequest: Sendable {
    /// The method as sent, e.g. "GET".
    public var method: String
    /// The request target's path, without the query ("/data.csv").
    public var path: String
    /// The query without the "?" ("a=1&b=2"), or nil when the target has none.
    public var query: String?
    /// The header fields in the order and spelling they were received.
    public var headers: [(String, String)]
    /// The whole request body (empty when there is none).
    public var body: [UInt8]
    /// The values of the matched route's "{name}" segments, percent-decoded (empty for exact routes).
    public var pathParameters: [String: String] = [:]

    public init(method: String, path: String, query: String? = nil, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The first value of the header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.0.lowercased() == wanted }?.1
    }
}

/// What a route answers.
public struct HTTPTestResponse: Sendable {
    public var status: Int
    /// Sent as given. `Content-Length` is added for non-chunked responses that may carry a body
    /// unless the headers already have `Content-Length` or `Transfer-Encoding`.
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Wait this long before sending the head (timeout tests). The event loop is not blocked.
    public var delay: Duration? = nil
    /// Send the body with chunked transfer encoding in pieces of this size, flushing each (streaming tests).
    public var chunkSize: Int? = nil

    public init(status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func text(_ s: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> Self {
        Self(status: status, headers: [("Content-Type", contentType)], body: Array(s.utf8))
    }

    public static func json(_ s: String, status: Int = 200) -> Self {
        Self(status: status, headers: [("Content-Type", "application/json")], body: Array(s.utf8))
    }

    public static func redirect(to location: String, status: Int = 302) -> Self {
        Self(status: status, headers: [("Location", location)])
    }
}
