import Foundation
import HTTPTestServer

/// Query strings and `application/x-www-form-urlencoded` bodies: "a=1&b=x+y&b=%2B49".
///
/// "+" is a space and escapes are decoded, as a form encoder writes them; a name may repeat
/// (sipgate's `phonenumbers=` filter is a repeatable parameter).
struct FormParameters: Sendable {
    private(set) var items: [(name: String, value: String)] = []

    init(_ encoded: String?) {
        guard let encoded, !encoded.isEmpty else { return }
        for pair in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            items.append((name, value))
        }
    }

    init(body: [UInt8]) {
        self.init(String(decoding: body, as: UTF8.self))
    }

    /// The first value of `name`, or nil when absent.
    subscript(_ name: String) -> String? {
        items.first { $0.name == name }?.value
    }

    /// Every value of `name`, in order.
    func all(_ name: String) -> [String] {
        items.filter { $0.name == name }.map(\.value)
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

/// What an `Authorization` header carries.
enum Authorization: Equatable, Sendable {
    case basic(user: String, password: String)
    case bearer(String)

    init?(_ header: String?) {
        guard let header else { return nil }
        let parts = header.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let credentials = parts[1].trimmingCharacters(in: .whitespaces)
        switch parts[0].lowercased() {
        case "bearer":
            self = .bearer(credentials)
        case "basic":
            guard let data = Data(base64Encoded: credentials),
                let text = String(data: data, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            else { return nil }
            self = .basic(user: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
        default:
            return nil
        }
    }
}

extension HTTPTestResponse {
    /// A JSON response from an `Encodable` value (a failure to encode is a bug in the simulator: 500).
    static func encoded<Value: Encodable>(_ value: Value, status: Int = 200) -> HTTPTestResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        do {
            let body = try encoder.encode(value)
            return HTTPTestResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(body))
        } catch {
            return .text("simulator could not encode its answer: \(error)", status: 500)
        }
    }

    /// A JSON response from plain dictionaries and arrays (NSNull for null); keys sorted, so the
    /// bytes are reproducible.
    static func jsonObject(_ object: Any, status: Int = 200) -> HTTPTestResponse {
        do {
            let body = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            return HTTPTestResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(body))
        } catch {
            return .text("simulator could not encode its answer: \(error)", status: 500)
        }
    }

    /// A response with no body and no Content-Type (sipgate's writes).
    static func empty(status: Int) -> HTTPTestResponse {
        HTTPTestResponse(status: status)
    }
}

extension HTTPTestRequest {
    /// The query parameters, decoded.
    var parameters: FormParameters { FormParameters(query) }

    /// Whether the body is declared as a form (`application/x-www-form-urlencoded`).
    var hasFormBody: Bool {
        header("Content-Type")?.lowercased().hasPrefix("application/x-www-form-urlencoded") ?? false
    }

    /// The body as a JSON object, or nil when it is not one.
    var jsonObject: [String: Any]? {
        guard !body.isEmpty else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
}
