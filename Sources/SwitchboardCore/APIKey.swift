import Foundation

/// An API key as stored: the secret itself is never kept, only its SHA-256.
public struct APIKey: Sendable, Hashable, Identifiable {
    public var id: String
    /// `nil` for operator keys, which span all accounts.
    public var accountId: String?
    public var role: Role
    /// For `user` keys: the person the key acts as.
    public var userId: String?
    public var label: String
    public var secretHash: [UInt8]
    public var createdAt: Date
    public var createdBy: String?
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public init(
        id: String, accountId: String?, role: Role, userId: String?, label: String, secretHash: [UInt8],
        createdAt: Date, createdBy: String?, lastUsedAt: Date? = nil, revokedAt: Date? = nil
    ) {
        self.id = id
        self.accountId = accountId
        self.role = role
        self.userId = userId
        self.label = label
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }

    public var isRevoked: Bool { revokedAt != nil }
}
