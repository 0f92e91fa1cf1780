import Foundation
import SwitchboardCore

/// Reading vCards: unfolding, content lines, parameters, escapes.
extension VCard {
    /// Why a card could not be read.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Every card in `text` (a CardDAV resource holds one; an export file many).
    public static func parseAll(_ text: String) throws(ParseError) -> [VCard] {
        try parseAll(bytes: Array(text.utf8))
    }

    /// Every card in `bytes`. Lines are unfolded before they are decoded as UTF-8, so a writer
    /// that folded in the middle of a multi-byte character still gives the right text.
    public static func parseAll(bytes: [UInt8]) throws(ParseError) -> [VCard] {
        var cards: [VCard] = []
        var current: VCard?
        for line in unfold(bytes) {
            let text = String(decoding: line, as: UTF8.self)
            if text.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            guard let property = parseLine(text) else {
                if current != nil { throw ParseError(reason: "not a vCard content line: \(text.prefix(80))") }
                continue
            }
            switch (property.name, current) {
            case ("BEGIN", nil) where property.text.uppercased() == "VCARD":
                current = VCard(version: .v3)
            case ("BEGIN", _?):
                throw ParseError(reason: "BEGIN:\(property.text) inside a vCard (nested cards are not supported)")
            case ("END", let card?) where property.text.uppercased() == "VCARD":
                cards.append(card)
                current = nil
            case ("VERSION", var card?):
                card.version = property.text.trimmed.hasPrefix("4") ? .v4 : .v3
                current = card
            case (_, var card?):
                card.properties.append(property)
                current = card
            case (_, nil):
                continue  // text outside a card
            }
        }
        if current != nil { throw ParseError(reason: "the vCard has no END:VCARD") }
        return cards
    }

    /// The one card of a CardDAV resource.
    public static func parse(_ text: String) throws(ParseError) -> VCard {
        guard let card = try parseAll(text).first else { throw ParseError(reason: "no BEGIN:VCARD … END:VCARD in the resource") }
        return card
    }

    /// Logical lines: a line break (CRLF, or a bare LF as servers often send) followed by a
    /// space or tab continues the line before it; that one whitespace character is dropped.
    static func unfold(_ bytes: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var line: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == 0x0D || byte == 0x0A {
                var next = i + 1
                if byte == 0x0D, next < bytes.count, bytes[next] == 0x0A { next += 1 }
                if next < bytes.count, bytes[next] == 0x20 || bytes[next] == 0x09 {
                    i = next + 1  // folded: the line goes on
                    continue
                }
                lines.append(line)
                line.removeAll(keepingCapacity: true)
                i = next
                continue
            }
            line.append(byte)
            i += 1
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    /// `[group.]name *(;param) : value`. Parameter values may be quoted (and then hold `:;,`).
    static func parseLine(_ line: String) -> Property? {
        let scalars = Array(line.unicodeScalars)
        var i = 0
        func readName() -> String {
            var name = ""
            while i < scalars.count, scalars[i] != ";", scalars[i] != ":" {
                name.unicodeScalars.append(scalars[i])
                i += 1
            }
            return name
        }
        let fullName = readName().trimmingCharacters(in: .whitespaces)
        guard !fullName.isEmpty else { return nil }
        var parameters: [Parameter] = []
        while i < scalars.count, scalars[i] == ";" {
            i += 1
            var name = ""
            while i < scalars.count, !";:=".unicodeScalars.contains(scalars[i]) {
                name.unicodeScalars.append(scalars[i])
                i += 1
            }
            var values: [String] = []
            if i < scalars.count, scalars[i] == "=" {
                i += 1
                var value = ""
                var quoted = false
                var wasQuoted = false
                while i < scalars.count {
                    let c = scalars[i]
                    if c == "\"" {
                        quoted.toggle()
                        wasQuoted = true
                    } else if !quoted, c == "," {
                        values.append(value)
                        value = ""
                    } else if !quoted, c == ";" || c == ":" {
                        break
                    } else {
                        value.unicodeScalars.append(c)
                    }
                    i += 1
                }
                if !value.isEmpty || wasQuoted || values.isEmpty { values.append(value) }
                parameters.append(Parameter(name.trimmingCharacters(in: .whitespaces), values))
            } else if !name.isEmpty {
                // vCard 2.1 style `TEL;CELL:` (still in old exports): a bare type.
                parameters.append(Parameter("TYPE", [name]))
            }
        }
        guard i < scalars.count, scalars[i] == ":" else { return nil }
        var value = ""
        value.unicodeScalars.append(contentsOf: scalars[(i + 1)...])
        var group: String?
        var name = fullName
        if let dot = fullName.lastIndex(of: ".") {
            group = String(fullName[..<dot])
            name = String(fullName[fullName.index(after: dot)...])
        }
        var property = Property(name, group: group, parameters: parameters, rawValue: value)
        property.original = line
        var head = ""
        head.unicodeScalars.append(contentsOf: scalars[...i])
        property.originalHead = head
        return property
    }

    /// `\n` `\N` → line break, `\,` `\;` `\\` → the character; any other escaped character stands for itself.
    public static func unescape(_ raw: String) -> String {
        guard raw.contains("\\") else { return raw }
        var out = ""
        var escaped = false
        for c in raw {
            if escaped {
                out.append(c == "n" || c == "N" ? "\n" : c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        if escaped { out.append("\\") }
        return out
    }

    /// Splits a raw value at `separator` where it is not escaped (the parts stay escaped).
    static func split(_ raw: String, at separator: Character) -> [String] {
        var parts: [String] = []
        var part = ""
        var escaped = false
        for c in raw {
            if escaped {
                part.append(c)
                escaped = false
            } else if c == "\\" {
                part.append(c)
                escaped = true
            } else if c == separator {
                parts.append(part)
                part = ""
            } else {
                part.append(c)
            }
        }
        parts.append(part)
        return parts
    }
}
