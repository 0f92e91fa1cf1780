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

    /// Display name: as given, else first + last, else the company.
    public var resolvedDisplayName: String {
        if let name = displayName?.trimmed, !name.isEmpty { return name }
        let parts = [firstName?.trimmed, lastName?.trimmed].compactMap { $0 }.filter { !$0.isEmpty }
        if !parts.isEmpty { return parts.joined(separator: " ") }
        return company?.trimmed ?? ""
    }
}

extension String {
    public var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
    /// nil for an empty (after trimming) string.
    public var nonEmpty: String? {
        let t = trimmed
        return t.isEmpty ? nil : t
    }
}
