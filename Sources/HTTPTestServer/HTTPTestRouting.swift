/// A route path with parameter segments, e.g. "/v2/contacts/{id}".
///
/// Only a whole segment in braces is a parameter; it matches one non-empty segment of the
/// request path, and its value is handed to the handler percent-decoded in
/// `HTTPTestRequest.pathParameters`. Exact routes win over patterns, and patterns are tried in
/// the order they were first registered, so "/v1/persons/search" (exact) is never taken for
/// "/v1/persons/{id}".
struct RoutePattern: Sendable {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    let method: String
    let path: String
    let segments: [Segment]
    var handler: HTTPTestServer.Handler

    /// nil when `path` has no parameter segment (it is then an exact route).
    init?(method: String, path: String, handler: @escaping HTTPTestServer.Handler) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map { part -> Segment in
            if part.count > 2, part.first == "{", part.last == "}" {
                return .parameter(String(part.dropFirst().dropLast()))
            }
            return .literal(String(part))
        }
        guard segments.contains(where: { if case .parameter = $0 { true } else { false } }) else { return nil }
        self.method = method.uppercased()
        self.path = path
        self.segments = segments
        self.handler = handler
    }

    /// The parameters when `path` (a request path, without query) matches, else nil.
    func match(method: String, path: String) -> [String: String]? {
        guard method == self.method else { return nil }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (part, segment) in zip(parts, segments) {
            switch segment {
            case .literal(let literal):
                guard part == literal else { return nil }
            case .parameter(let name):
                guard !part.isEmpty else { return nil }
                parameters[name] = HTTPTestSupport.percentDecoded(part)
            }
        }
        return parameters
    }
}

extension ServerState {
    /// The handler for (method, path) and its path parameters: exact routes first, then patterns.
    func handler(method: String, path: String) -> (HTTPTestServer.Handler, [String: String])? {
        if let exact = routes[RouteKey(method, path)] {
            return (exact, [:])
        }
        let method = method.uppercased()
        for pattern in patterns {
            if let parameters = pattern.match(method: method, path: path) {
                return (pattern.handler, parameters)
            }
        }
        return nil
    }

    /// Adds the pattern, or replaces the handler of the same (method, pattern) in its place.
    mutating func add(_ pattern: RoutePattern) {
        if let index = patterns.firstIndex(where: { $0.method == pattern.method && $0.path == pattern.path }) {
            patterns[index].handler = pattern.handler
        } else {
            patterns.append(pattern)
        }
    }
}

extension HTTPTestSupport {
    /// "%2B49%2030" → "+49 30". Malformed escapes stay as they are; "+" is not a space in a path.
    static func percentDecoded<S: StringProtocol>(_ text: S) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(UInt8(ascii: "%")) else { return String(text) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
                let high = hexValue(bytes[i + 1]), let low = hexValue(bytes[i + 2])
            {
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
