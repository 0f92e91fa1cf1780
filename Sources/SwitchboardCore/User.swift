import Foundation

/// A person in an account: name, e-mail (unique in the account), extension, numbers.
public struct User: Sendable, Hashable, Identifiable {
    public var id: String
    public var accountId: String
    public var name: String
    public var email: String
    /// Internal short number (e.g. `12`), unique in the account.
    public var extensionNumber: String?
    /// Phone numbers as given; later normalised to E.164 by the phone-number service.
    public var numbers: [String]
    /// Overrides the account's region for reading this user's numbers.
    public var region: String?
    /// The manual phonebook entry this user's calls are forwarded to (`users.setForwarding`).
    public var forwardingEntryId: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String, accountId: String, name: String, email: String, extensionNumber: String? = nil,
        numbers: [String] = [], region: String? = nil, forwardingEntryId: String? = nil, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.accountId = accountId
        self.name = name
        self.email = email
        self.extensionNumber = extensionNumber
        self.numbers = numbers
        self.region = region
        self.forwardingEntryId = forwardingEntryId
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
