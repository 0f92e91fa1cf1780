/// Named request parameters with typed accessors whose errors name the field.
///
/// `null` is treated as "absent" for optional fields. Handlers call
/// `expectOnly` with the fields they know, so a typo such as `emial` is an
/// error rather than silently ignored.
public struct Params: Sendable {
    public let object: JSONObject
    /// Prefix for field paths in errors, e.g. `user.` for nested objects.
    public let path: String

    public init(_ object: JSONObject = JSONObject(), path: String = "") {
        self.object = object
        self.path = path
    }

    public func field(_ key: String) -> String { path + key }

    /// Rejects any member not in `known`.
    public func expectOnly(_ known: Set<String>) throws(RPCError) {
        for (key, _) in object.members where !Self.isKnown(key, in: known) {
            throw .invalidParams(field: field(key), "unknown field (expected one of: \(known.sorted().joined(separator: ", ")))")
        }
    }

    /// `known.contains(key)`, by comparing rather than hashing when `known` is small
    /// (a lookup's one field is checked on every caller ID).
    private static func isKnown(_ key: String, in known: Set<String>) -> Bool {
        guard known.count <= 4 else { return known.contains(key) }
        for name in known where name == key { return true }
        return false
    }

    public func value(_ key: String) -> JSONValue? {
        guard let value = object[key], !value.isNull else { return nil }
        return value
    }

    public func has(_ key: String) -> Bool { object[key] != nil }

    func missing(_ key: String) -> RPCError { .invalidParams(field: field(key), "is required") }
    func wrongType(_ key: String, _ expected: String, _ got: JSONValue) -> RPCError {
        .invalidParams(field: field(key), "expected \(expected), got \(got.typeName)")
    }

    // MARK: strings

    public func optionalString(_ key: String, maxLength: Int = 10_000) throws(RPCError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let string) = value else { throw wrongType(key, "a string", value) }
        // A character is at least one byte: counting characters (a walk over grapheme breaks) is needed only past that.
        guard string.utf8.count <= maxLength || string.count <= maxLength else { throw .invalidParams(field: field(key), "longer than \(maxLength) characters") }
        return string
    }

    public func string(_ key: String, maxLength: Int = 10_000) throws(RPCError) -> String {
        guard let string = try optionalString(key, maxLength: maxLength) else { throw missing(key) }
        return string
    }

    /// A required string that is not empty after trimming whitespace.
    public func nonEmptyString(_ key: String, maxLength: Int = 10_000) throws(RPCError) -> String {
        let string = try self.string(key, maxLength: maxLength).trimmingWhitespace()
        guard !string.isEmpty else { throw .invalidParams(field: field(key), "must not be empty") }
        return string
    }

    // MARK: numbers and booleans

    public func optionalInt(_ key: String, in range: ClosedRange<Int64>? = nil) throws(RPCError) -> Int64? {
        guard let value = value(key) else { return nil }
        guard let int = value.intValue else { throw wrongType(key, "an integer", value) }
        if let range, !range.contains(int) {
            throw .invalidParams(field: field(key), "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return int
    }

    public func int(_ key: String, in range: ClosedRange<Int64>? = nil) throws(RPCError) -> Int64 {
        guard let int = try optionalInt(key, in: range) else { throw missing(key) }
        return int
    }

    public func optionalBool(_ key: String) throws(RPCError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let bool) = value else { throw wrongType(key, "a boolean", value) }
        return bool
    }

    public func bool(_ key: String) throws(RPCError) -> Bool {
        guard let bool = try optionalBool(key) else { throw missing(key) }
        return bool
    }

    // MARK: composites

    public func optionalStringArray(_ key: String, maxCount: Int = 1_000) throws(RPCError) -> [String]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value else { throw wrongType(key, "an array of strings", value) }
        guard elements.count <= maxCount else { throw .invalidParams(field: field(key), "more than \(maxCount) elements") }
        var strings: [String] = []
        for (i, element) in elements.enumerated() {
            guard case .string(let string) = element else {
                throw .invalidParams(field: field("\(key)[\(i)]"), "expected a string, got \(element.typeName)")
            }
            strings.append(string)
        }
        return strings
    }

    /// An array of objects, each as `Params` with its path (`numbers[2].`).
    public func optionalObjectArray(_ key: String, maxCount: Int = 1_000) throws(RPCError) -> [Params]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value else { throw wrongType(key, "an array of objects", value) }
        guard elements.count <= maxCount else { throw .invalidParams(field: field(key), "more than \(maxCount) elements") }
        var result: [Params] = []
        for (i, element) in elements.enumerated() {
            guard case .object(let object) = element else {
                throw .invalidParams(field: field("\(key)[\(i)]"), "expected an object, got \(element.typeName)")
            }
            result.append(Params(object, path: field("\(key)[\(i)]") + "."))
        }
        return result
    }

    public func optionalObject(_ key: String) throws(RPCError) -> Params? {
        guard let value = value(key) else { return nil }
        guard case .object(let object) = value else { throw wrongType(key, "an object", value) }
        return Params(object, path: field(key) + ".")
    }

    /// A string that must be one of `allowed` (e.g. a role or a mode).
    public func optionalEnum<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws(RPCError) -> T?
    where T.RawValue == String {
        guard let raw = try optionalString(key) else { return nil }
        guard let value = T(rawValue: raw) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw .invalidParams(field: field(key), "must be one of: \(allowed)")
        }
        return value
    }

    public func requiredEnum<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws(RPCError) -> T
    where T.RawValue == String {
        guard let value = try optionalEnum(key, type) else { throw missing(key) }
        return value
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
