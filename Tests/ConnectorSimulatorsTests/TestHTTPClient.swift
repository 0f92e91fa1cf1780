import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real HTTP client for the tests (URLSession over loopback): the simulators are checked as a
/// connector would see them, not through their Swift API.
struct HTTPResult: Sendable {
    var status: Int
    /// Header names lower-cased.
    var headers: [String: String]
    var body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object (a failed test otherwise).
    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(text)")
        }
        return object
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum HTTP {
    /// One session without caches, cookies or credential storage: every request stands alone.
    private static let session = makeSession(timeout: 20)

    /// URLSession on Linux enforces the session's `timeoutIntervalForRequest`, not the request's.
    private static func makeSession(timeout: TimeInterval) -> URLSession {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.urlCredentialStorage = nil
        configuration.connectionProxyDictionary = [:]
        configuration.timeoutIntervalForRequest = timeout
        return URLSession(configuration: configuration)
    }

    static func send(
        _ method: String, _ url: String, headers: [String: String] = [:], body: Data? = nil,
        timeout: TimeInterval = 20
    ) async throws -> HTTPResult {
        guard let target = URL(string: url) else { throw TestFailure("bad URL \(url)") }
        var request = URLRequest(url: target, timeoutInterval: timeout)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        let (data, response) = try await (timeout == 20 ? session : makeSession(timeout: timeout)).data(for: request)
        guard let http = response as? HTTPURLResponse else { throw TestFailure("not HTTP: \(response)") }
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value }
        }
        return HTTPResult(status: http.statusCode, headers: fields, body: data)
    }

    static func get(_ url: String, headers: [String: String] = [:]) async throws -> HTTPResult {
        try await send("GET", url, headers: headers)
    }

    /// A JSON body from a dictionary.
    static func sendJSON(
        _ method: String, _ url: String, _ object: [String: Any], headers: [String: String] = [:]
    ) async throws -> HTTPResult {
        var headers = headers
        headers["Content-Type"] = "application/json"
        return try await send(method, url, headers: headers, body: try JSONSerialization.data(withJSONObject: object))
    }

    /// An `application/x-www-form-urlencoded` POST.
    static func postForm(_ url: String, _ fields: [(String, String)], headers: [String: String] = [:]) async throws -> HTTPResult {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = fields.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }.joined(separator: "&")
        var headers = headers
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return try await send("POST", url, headers: headers, body: Data(body.utf8))
    }

    static func basic(_ user: String, _ password: String) -> [String: String] {
        ["Authorization": "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
    }

    static func bearer(_ token: String) -> [String: String] {
        ["Authorization": "Bearer \(token)"]
    }

    /// Percent-encodes a query value ("+" and spaces included).
    static func query(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
