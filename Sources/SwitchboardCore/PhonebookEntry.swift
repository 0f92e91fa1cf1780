import Foundation

/// One entry of an account's company phonebook.
///
/// Manual entries (`M`) are edited through the protocol; synced entries (`S`)
/// mirror a record of an interface and are read-only (copy them to edit).
public struct PhonebookEntry: Sendable, Hashable, Identifiable {
    public enum Source: String, Sendable, Hashable, CaseIterable, Codable {
        case manual = "M"
        case synced = "S"
    }

    public var id: String
    public var accountId: String
    public var source: Source
    public var displayName: String
    public var firstName: String?
    public var lastName: String?
    public var company: String?
    public var department: String?
    public var title: String?
    public var email: String?
    public var note: String?
    public var numbers: [EntryNumber]
    /// For synced entries: the interface and the record's key in that system.
    public var interfaceId: String?
    public var externalId: String?
    /// For copies: the synced entry this one was made from (kept when that entry goes).
    public var copiedFrom: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// For synced entries: whose the contact is in its system, and the system's version
    /// of it (ETag, update time), sent back when a change is written through.
    public var scope: ContactScope?
    public var remoteVersion: String?

    public init(
        id: String, accountId: String, source: Source, displayName: String, firstName: String? = nil,
        lastName: String? = nil, company: String? = nil, department: String? = nil, title: String? = nil,
        email: String? = nil, note: String? = nil, numbers: [EntryNumber] = [], interfaceId: String? = nil,
        externalId: String? = nil, copiedFrom: String? = nil, createdAt: Date, updatedAt: Date,
        scope: ContactScope? = nil, remoteVersion: String? = nil
    ) {
        self.id = id
        self.accountId = accountId
        self.source = source
        self.displayName = displayName
        self.firstName = firstName
        self.lastName = lastName
        self.company = company
        self.department = department
        self.title = title
        self.email = email
        self.note = note
        self.numbers = numbers
        self.interfaceId = interfaceId
        self.externalId = externalId
        self.copiedFrom = copiedFrom
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.scope = scope
        self.remoteVersion = remoteVersion
    }

    /// The text the book is sorted by: the display name, else the company.
    public var sortText: String { displayName.isEmpty ? (company ?? "") : displayName }
}

/// A number of a phonebook entry, normalised when it could be read.
public struct EntryNumber: Sendable, Hashable, Codable {
    /// The CSV column codes double as number types.
    public enum Kind: String, Sendable, Hashable, CaseIterable, Codable {
        case phone, mobile, home, fax, other
    }

    public var kind: Kind
    /// As typed or received.
    public var raw: String
    /// E.164 (`+493012345678`), nil when the text could not be read as a number.
    public var e164: String?
    /// Display form for the account's region (national for home numbers).
    public var display: String
    /// Every digit of the raw text: the key for digit search.
    public var digits: String
    /// Keys the number is found under by caller-ID lookup ("e164:+49…",
    /// "national:…", "suffix:…"), strongest first; made by the phone-number service.
    public var lookupKeys: [String]

    public init(kind: Kind, raw: String, e164: String?, display: String, digits: String, lookupKeys: [String]) {
        self.kind = kind
        self.raw = raw
        self.e164 = e164
        self.display = display
        self.digits = digits
        self.lookupKeys = lookupKeys
    }
}
