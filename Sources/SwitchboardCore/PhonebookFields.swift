import Foundation

/// The editable fields of a phonebook entry, as a client sends them.
public struct PhonebookFields: Sendable {
    public var displayName: String?
    public var firstName: String?
    public var lastName: String?
    public var company: String?
    public var department: String?
    public var title: String?
    public var email: String?
    public var note: String?
    /// (kind, number as typed)
    public var numbers: [(kind: EntryNumber.Kind, text: String)]?

    public init(
        displayName: String? = nil, firstName: String? = nil, lastName: String? = nil, company: String? = nil,
        department: String? = nil, title: String? = nil, email: String? = nil, note: String? = nil,
        numbers: [(kind: EntryNumber.Kind, text: String)]? = nil
    ) {
        self.displayName = displayName
        self.firstName = firstName
        self.lastName = lastName
        self.company = company
        self.department = department
        self.title = title
        self.email = email
        self.note = note
        self.numbers = numbers
    }

    /// Every field of an entry (numbers as they were typed or received): what a
    /// write-through sends when a caller changed only some of them.
    public init(_ entry: PhonebookEntry) {
        self.init(
            displayName: entry.displayName, firstName: entry.firstName, lastName: entry.lastName, company: entry.company,
            department: entry.department, title: entry.title, email: entry.email, note: entry.note,
            numbers: entry.numbers.map { ($0.kind, $0.raw) })
    }

    /// `self` with every field `changes` sets replaced (nil there: unchanged).
    public func merging(_ changes: PhonebookFields) -> PhonebookFields {
        PhonebookFields(
            displayName: changes.displayName ?? displayName, firstName: changes.firstName ?? firstName,
            lastName: changes.lastName ?? lastName, company: changes.company ?? company, department: changes.department ?? department,
            title: changes.title ?? title, email: changes.email ?? email, note: changes.note ?? note, numbers: changes.numbers ?? numbers)
    }

    /// Display name: as given, else first + last, else the company.
    public var resolvedDisplayName: String {
        if let name = displayName?.trimmed, !name.isEmpty { return name }
        let parts = [firstName?.trimmed, lastName?.trimmed].compactMap { $0 }.filter { !$0.isEmpty }
        if !parts.isEmpty { return parts.joined(separator: " ") }
        return company?.trimmed ?? ""
    }
}

extension String {
    /// Without surrounding whitespace and newlines. Text that starts and ends with
    /// a visible ASCII character (nearly every field of a synced row) is returned
    /// as it is, without Foundation's bridging (a sixth of a sync's parse time).
    public var trimmed: String {
        let utf8 = self.utf8
        guard let first = utf8.first, let last = utf8.last else { return self }
        if (0x21...0x7E).contains(first), (0x21...0x7E).contains(last) { return self }
        return trimmingCharacters(in: .whitespacesAndNewlines)
    }
    /// At most `limit` characters. A character is at least one byte, so the
    /// characters (a walk over grapheme breaks) are counted only past that.
    public func fits(characters limit: Int) -> Bool {
        utf8.count <= limit || count <= limit
    }

    /// nil for an empty (after trimming) string.
    public var nonEmpty: String? {
        let t = trimmed
        return t.isEmpty ? nil : t
    }
}
