import Foundation
import GRDB
import SwitchboardCore

struct APIKeyRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "apiKey"
    var id: String
    var accountId: String?
    var role: String
    var userId: String?
    var label: String
    var secretHash: Data
    var createdAt: Date
    var createdBy: String?
    var lastUsedAt: Date?
    var revokedAt: Date?

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let accountId = Column(CodingKeys.accountId)
        static let userId = Column(CodingKeys.userId)
        static let lastUsedAt = Column(CodingKeys.lastUsedAt)
        static let revokedAt = Column(CodingKeys.revokedAt)
    }

    init(_ key: APIKey) {
        id = key.id
        accountId = key.accountId
        role = key.role.rawValue
        userId = key.userId
        label = key.label
        secretHash = Data(key.secretHash)
        createdAt = key.createdAt
        createdBy = key.createdBy
        lastUsedAt = key.lastUsedAt
        revokedAt = key.revokedAt
    }

    var apiKey: APIKey {
        APIKey(
            id: id, accountId: accountId, role: Role(rawValue: role) ?? .user, userId: userId, label: label,
            secretHash: Array(secretHash), createdAt: createdAt, createdBy: createdBy, lastUsedAt: lastUsedAt,
            revokedAt: revokedAt)
    }
}

extension SQLiteStore {
    public func insertAPIKey(_ key: APIKey) async throws {
        try await write { db in try APIKeyRecord(key).insert(db) }
    }

    public func apiKey(id: String) async throws -> APIKey? {
        try await writer.read { db in try APIKeyRecord.fetchOne(db, key: id)?.apiKey }
    }

    public func apiKeys(accountId: String?, _ page: PageRequest) async throws -> [APIKey] {
        try await writer.read { db in
            try APIKeyRecord.filter(APIKeyRecord.Columns.accountId == accountId)
                .after(APIKeyRecord.Columns.id, page).fetchAll(db).map(\.apiKey)
        }
    }

    public func revokeAPIKey(accountId: String?, id: String, at: Date) async throws -> APIKey? {
        try await write { db in
            guard var record = try APIKeyRecord.filter(APIKeyRecord.Columns.accountId == accountId && APIKeyRecord.Columns.id == id)
                .fetchOne(db)
            else { return nil }
            if record.revokedAt == nil {
                record.revokedAt = at
                try record.update(db)
            }
            return record.apiKey
        }
    }

    public func touchAPIKey(id: String, at: Date) async throws {
        try await write { db in
            _ = try APIKeyRecord.filter(APIKeyRecord.Columns.id == id).updateAll(db, APIKeyRecord.Columns.lastUsedAt.set(to: at))
        }
    }
}

