import Foundation
import SwitchboardCore

extension PhonebookService {
    public enum ExportFormat: String, Sendable, CaseIterable {
        case csv
        case vcard
    }

    /// One chunk of the whole book, alphabetical. The CSV header comes with the
    /// first chunk; pass `nextCursor` back for the next one until it is nil.
    public func export(accountId: String, format: ExportFormat, cursor: String?, limit: Int) async throws -> (data: String, count: Int, nextCursor: String?) {
        let page = try await list(accountId: accountId, filter: .all, cursor: cursor, limit: limit)
        var data = ""
        switch format {
        case .csv:
            if cursor == nil { data += PhonebookCSV.header }
            for entry in page.items { data += PhonebookCSV.row(entry) }
        case .vcard:
            for entry in page.items { data += VCard.card(entry) }
        }
        return (data, page.items.count, page.nextCursor)
    }
}

/// vCard 4.0 (RFC 6350) writing: escaping and 75-octet line folding.
public enum VCard {
    public static func card(_ entry: PhonebookEntry) -> String {
        var lines = ["BEGIN:VCARD", "VERSION:4.0", "UID:urn:switchboard:\(entry.id)", "FN:" + escape(entry.displayName)]
        if entry.firstName != nil || entry.lastName != nil {
            lines.append("N:" + [entry.lastName ?? "", entry.firstName ?? "", "", "", ""].map(escape).joined(separator: ";"))
        }
        if let company = entry.company {
            lines.append("ORG:" + escape(company) + (entry.department.map { ";" + escape($0) } ?? ""))
        }
        if let title = entry.title { lines.append("TITLE:" + escape(title)) }
        for number in entry.numbers {
            let type: String = switch number.kind {
            case .phone: "work,voice"
            case .mobile: "cell"
            case .home: "home,voice"
            case .fax: "fax"
            case .other: "voice"
            }
            if let e164 = number.e164 {
                lines.append("TEL;VALUE=uri;TYPE=\"\(type)\":tel:" + e164)
            } else {
                lines.append("TEL;VALUE=text;TYPE=\"\(type)\":" + escape(number.raw))  // not a number: kept as typed
            }
        }
        if let email = entry.email { lines.append("EMAIL;TYPE=work:" + escape(email)) }
        if let note = entry.note { lines.append("NOTE:" + escape(note)) }
        lines.append("REV:" + RFC3339.string(entry.updatedAt))
        lines.append("END:VCARD")
        return lines.map(fold).joined(separator: "\r\n") + "\r\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ",", with: "\\,")
            .replacingOccurrences(of: ";", with: "\\;").replacingOccurrences(of: "\r\n", with: "\\n").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Folds at 75 octets without splitting a UTF-8 sequence.
    static func fold(_ line: String) -> String {
        var result = ""
        var count = 0
        for character in line {
            let size = String(character).utf8.count
            if count + size > 75 {
                result += "\r\n "
                count = 1
            }
            result.append(character)
            count += size
        }
        return result
    }
}
