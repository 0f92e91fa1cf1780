import Foundation

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
        Columns(header: header).read(row)
    }

    /// Number columns, in the order numbers are listed.
    static let numberKinds = EntryNumber.Kind.allCases

    /// A header read once: which column holds which code. Reading a row is
    /// then a few array accesses (a sync reads a million of them).
    public struct Columns: Sendable {
        /// Index of the column for each known code (the last one when a code repeats).
        public private(set) var index: [String: Int] = [:]
        /// Codes that are not ours, with their 1-based column.
        public private(set) var unknown: [(code: String, column: Int)] = []
        /// Codes that appear more than once.
        public private(set) var repeated: [String] = []
        /// The columns `read` takes, looked up in `index` once here rather than per row
        /// (a dictionary lookup hashes the code: fourteen per row were a sixth of a re-sync).
        private var id, name, firstName, lastName, company, department, title, email, note: Int?
        private var numberColumns: [(kind: EntryNumber.Kind, column: Int)] = []

        public init(header: [String]) {
            for (i, raw) in header.enumerated() {
                let code = raw.trimmingCharacters(in: .whitespaces).lowercased()
                if PhonebookCSV.columns.contains(code) {
                    if index[code] != nil { repeated.append(code) }
                    index[code] = i
                } else if !code.isEmpty {
                    unknown.append((raw, i + 1))
                }
            }
            (id, name, firstName, lastName, company) = (index["id"], index["name"], index["firstname"], index["lastname"], index["company"])
            (department, title, email, note) = (index["department"], index["title"], index["email"], index["note"])
            numberColumns = PhonebookCSV.numberKinds.compactMap { kind in index[kind.rawValue].map { (kind, $0) } }
        }

        /// The mandatory columns (PRODUCT.md) that are missing, described; nil when the header is usable.
        public var missingMandatory: String? {
            var missing: [String] = []
            if !["name", "lastname", "company"].contains(where: { index[$0] != nil }) { missing.append("one of name, lastname, company") }
            if !PhonebookCSV.numberKinds.contains(where: { index[$0.rawValue] != nil }) {
                missing.append("one of " + PhonebookCSV.numberKinds.map(\.rawValue).joined(separator: ", "))
            }
            return missing.isEmpty ? nil : missing.joined(separator: " and ")
        }

        /// Spaces and tabs around a number, without Foundation (a sync trims a million of them).
        static func trimmingSpaces(_ text: Substring.UTF8View) -> Substring.UTF8View {
            var text = text
            while let first = text.first, first == 0x20 || first == 0x09 { text = text.dropFirst() }
            while let last = text.last, last == 0x20 || last == 0x09 { text = text.dropLast() }
            return text
        }

        public func read(_ row: [String]) -> (key: String?, fields: PhonebookFields) {
            func value(_ column: Int?) -> String? {
                guard let i = column, i < row.count else { return nil }
                let text = row[i]
                return text.isEmpty ? nil : text
            }
            var numbers: [(kind: EntryNumber.Kind, text: String)] = []
            for (kind, column) in numberColumns {
                guard let text = value(column) else { continue }
                // Several numbers of one kind are separated by commas.
                for part in text.utf8.split(separator: UInt8(ascii: ",")) {
                    let number = Self.trimmingSpaces(part)
                    if !number.isEmpty { numbers.append((kind, String(Substring(number)))) }
                }
            }
            let fields = PhonebookFields(
                displayName: value(name), firstName: value(firstName), lastName: value(lastName), company: value(company),
                department: value(department), title: value(title), email: value(email), note: value(note), numbers: numbers)
            return (value(id), fields)
        }
    }
}
