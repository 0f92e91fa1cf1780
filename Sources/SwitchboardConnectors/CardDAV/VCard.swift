import Foundation
import SwitchboardCore

/// One vCard (RFC 6350 for 4.0, RFC 2426 for 3.0) as its content lines.
///
/// The card is kept as a list of properties in their original order, each with
/// its raw (still escaped) value and, when it came from a parsed card, its
/// original unfolded line. Writing a parsed card gives back every property the
/// connector did not touch exactly as another client stored it: write-through
/// must not destroy data (photos, addresses, Apple's labels) it does not know.
public struct VCard: Sendable, Equatable {
    public enum Version: String, Sendable, CaseIterable {
        case v3 = "3.0"
        case v4 = "4.0"
    }

    /// A parameter (`TYPE=work,voice`): upper-cased name, values unquoted, split at unquoted commas.
    public struct Parameter: Sendable, Equatable {
        public var name: String
        public var values: [String]

        public init(_ name: String, _ values: [String]) {
            self.name = name.uppercased()
            self.values = values
        }
    }

    /// One content line: `[group.]NAME[;param…]:value`.
    public struct Property: Sendable, Equatable {
        /// Apple's `item1` in `item1.TEL` (ties a number to its `item1.X-ABLabel`).
        public var group: String? { didSet { forgetOriginal() } }
        /// Upper-cased.
        public var name: String { didSet { forgetOriginal() } }
        public var parameters: [Parameter] { didSet { forgetOriginal() } }
        /// The value as it is on the wire: escapes still in (`ACME\, Inc.;Sales`).
        public var rawValue: String { didSet { original = nil } }
        /// The unfolded line as parsed: written back unchanged while the property is.
        var original: String?
        /// The parsed line up to the value (`item1.EMAIL;type=WORK:`): kept, in its spelling, when only the value changes.
        var originalHead: String?

        private mutating func forgetOriginal() {
            original = nil
            originalHead = nil
        }

        public init(_ name: String, group: String? = nil, parameters: [Parameter] = [], rawValue: String) {
            self.group = group
            self.name = name.uppercased()
            self.parameters = parameters
            self.rawValue = rawValue
        }

        /// A text property: the value escaped for the wire.
        public init(_ name: String, group: String? = nil, parameters: [Parameter] = [], text: String) {
            self.init(name, group: group, parameters: parameters, rawValue: VCard.escape(text))
        }

        /// The value unescaped (a single text).
        public var text: String { VCard.unescape(rawValue) }

        /// The components of a structured value (N, ORG, ADR), each unescaped.
        public var components: [String] { VCard.split(rawValue, at: ";").map(VCard.unescape) }

        /// Values of the parameter `name`, case as given.
        public func parameter(_ name: String) -> [String] {
            let upper = name.uppercased()
            return parameters.filter { $0.name == upper }.flatMap(\.values)
        }

        /// The `TYPE` values, lower-cased, with `TYPE="work,voice"` split as the list it means.
        public var types: Set<String> {
            Set(parameter("TYPE").flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
        }

        /// Preferred: `TYPE=pref` (3.0) or `PREF=1…100` (4.0, lower is stronger); nil when not preferred.
        public var preference: Int? {
            if let pref = parameter("PREF").first.flatMap({ Int($0) }) { return pref }
            return types.contains("pref") ? 1 : nil
        }
    }

    public var version: Version
    /// Everything between `BEGIN:VCARD` and `END:VCARD` except `VERSION`.
    public var properties: [Property]

    public init(version: Version, properties: [Property] = []) {
        self.version = version
        self.properties = properties
    }

    public func first(_ name: String) -> Property? {
        let upper = name.uppercased()
        return properties.first { $0.name == upper }
    }

    public func all(_ name: String) -> [Property] {
        let upper = name.uppercased()
        return properties.filter { $0.name == upper }
    }

    public var uid: String? { first("UID")?.text.nonEmpty }

    /// Properties of `group` (Apple's `itemN.X-ABLabel` beside `itemN.TEL`).
    public func grouped(_ group: String) -> [Property] {
        properties.filter { $0.group?.lowercased() == group.lowercased() }
    }
}

// MARK: - Writing

extension VCard {
    /// Backslash, line breaks, comma and semicolon escaped (RFC 6350 §3.4, RFC 2426 §4).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var previousCR = false
        for c in text.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case ",": out += "\\,"
            case ";": out += "\\;"
            case "\r": out += "\\n"
            case "\n": if !previousCR { out += "\\n" }
            default: out.unicodeScalars.append(c)
            }
            previousCR = c == "\r"
        }
        return out
    }

    /// A structured value (N, ORG): each component escaped, joined by `;`.
    public static func compound(_ components: [String]) -> String {
        components.map(escape).joined(separator: ";")
    }

    /// The card as a CardDAV resource: CRLF line ends, lines folded at 75 octets.
    public func serialized() -> String {
        var out = "BEGIN:VCARD\r\nVERSION:\(version.rawValue)\r\n"
        for property in properties { out += Self.fold(property.line) }
        out += "END:VCARD\r\n"
        return out
    }

    /// Splits a line into 75-octet lines (the first at 75 octets, the rest a space plus 74),
    /// never inside a UTF-8 sequence: the cut moves back over continuation bytes.
    static func fold(_ line: String) -> String {
        let bytes = Array(line.utf8)
        guard bytes.count > 75 else { return line + "\r\n" }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 37 + 2)
        var start = 0
        var limit = 75
        while start < bytes.count {
            var end = min(start + limit, bytes.count)
            if end < bytes.count {
                while end > start + 1, bytes[end] & 0xC0 == 0x80 { end -= 1 }
            }
            if start > 0 { out.append(0x20) }
            out += bytes[start..<end]
            out += [0x0D, 0x0A]
            start = end
            limit = 74
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension VCard.Property {
    /// The unfolded content line: the parsed one while nothing was replaced.
    var line: String {
        if let original { return original }
        if let originalHead { return originalHead + rawValue }
        var out = group.map { $0 + "." } ?? ""
        out += name
        for parameter in parameters {
            out += ";" + parameter.name
            guard !parameter.values.isEmpty else { continue }
            out += "=" + parameter.values.map { value in
                value.contains(where: { ":;,".contains($0) }) ? "\"" + value.replacingOccurrences(of: "\"", with: "'") + "\"" : value
            }.joined(separator: ",")
        }
        return out + ":" + rawValue
    }
}
