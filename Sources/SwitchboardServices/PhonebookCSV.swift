import SwitchboardCore

/// The phonebook's CSV format: a header row of column codes (PRODUCT.md).
public enum PhonebookCSV {
    public static let columns = [
        "id", "name", "firstname", "lastname", "company", "department", "title",
        "phone", "mobile", "home", "fax", "other", "email", "note",
    ]

    public static var header: String { CSV.line(columns) }

    /// One row; the first number of each kind goes in its column, further
    /// numbers of a kind are appended to `other`.
    public static func row(_ entry: PhonebookEntry) -> String {
        var byKind: [EntryNumber.Kind: String] = [:]
        var extra: [String] = []
        for number in entry.numbers {
            let text = number.e164 ?? number.raw
            if byKind[number.kind] == nil { byKind[number.kind] = text } else { extra.append(text) }
        }
        if !extra.isEmpty { byKind[.other] = ([byKind[.other]].compactMap { $0 } + extra).joined(separator: ", ") }
        return CSV.line([
            entry.externalId ?? entry.id, entry.displayName, entry.firstName ?? "", entry.lastName ?? "", entry.company ?? "",
            entry.department ?? "", entry.title ?? "", byKind[.phone] ?? "", byKind[.mobile] ?? "", byKind[.home] ?? "",
            byKind[.fax] ?? "", byKind[.other] ?? "", entry.email ?? "", entry.note ?? "",
        ])
    }

    /// Reads a row by the header's codes (case-insensitive, spaces ignored)
    /// into fields; the `id` column (or nil) is returned as the source key.
    public static func fields(header: [String], row: [String]) -> (key: String?, fields: PhonebookFields) {
        var values: [String: String] = [:]
        for (i, code) in header.enumerated() where i < row.count {
            let name = code.trimmingCharacters(in: .whitespaces).lowercased()
            if !row[i].isEmpty { values[name] = row[i] }
        }
        var numbers: [(kind: EntryNumber.Kind, text: String)] = []
        for kind in EntryNumber.Kind.allCases {
            guard let text = values[kind.rawValue] else { continue }
            for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
                numbers.append((kind, part))
            }
        }
        let fields = PhonebookFields(
            displayName: values["name"], firstName: values["firstname"], lastName: values["lastname"], company: values["company"],
            department: values["department"], title: values["title"], email: values["email"], note: values["note"], numbers: numbers)
        return (values["id"], fields)
    }
}

import Foundation
