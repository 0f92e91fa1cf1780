import Foundation
import GRDB
import SwitchboardCore

struct UserRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "user"
    var id: String
    var accountId: String
    var name: String
    var email: String
    var `extension`: String?
    var numbers: [String]
    var region: String?
    var forwardingEntryId: String?
    var createdAt: Date
    var updatedAt: Date

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let accountId = Column(CodingKeys.accountId)
    }

    init(_ user: User) {
        id = user.id
        accountId = user.accountId
        name = user.name
        email = user.email
        `extension` = user.extensionNumber
        numbers = user.numbers
        region = user.region
        forwardingEntryId = user.forwardingEntryId
        createdAt = user.createdAt
        updatedAt = user.updatedAt
    }

    var user: User {
        User(
            id: id, accountId: accountId, name: name, email: email, extensionNumber: `extension`,
            numbers: numbers, region: region, forwardingEntryId: forwardingEntryId, createdAt: createdAt, updatedAt: updatedAt)
    }
}

extension SQLiteStore {
    public func insertUser(_ user: User) async throws {
        try await write { db in try Self.mapUniqueViolation { try UserRecord(user).insert(db) } }
    }

    public func user(accountId: String, id: String) async throws -> User? {
        try await writer.read { db in
            try UserRecord.filter(UserRecord.Columns.accountId == accountId && UserRecord.Columns.id == id).fetchOne(db)?.user
        }
    }

    public func users(accountId: String, _ page: PageRequest) async throws -> [User] {
        try await writer.read { db in
            try UserRecord.filter(UserRecord.Columns.accountId == accountId)
                .after(UserRecord.Columns.id, page).fetchAll(db).map(\.user)
        }
    }

    public func updateUser(_ user: User) async throws {
        try await write { db in
            try Self.mapUniqueViolation {
                guard try UserRecord.filter(UserRecord.Columns.accountId == user.accountId && UserRecord.Columns.id == user.id)
                    .fetchCount(db) == 1
                else { throw SwitchboardError.notFound("user", id: user.id) }
                try UserRecord(user).update(db)
            }
        }
    }

    public func deleteUser(accountId: String, id: String, at: Date) async throws -> [String]? {
        try await write { db in
            guard try UserRecord.filter(UserRecord.Columns.accountId == accountId && UserRecord.Columns.id == id).fetchCount(db) == 1
            else { return nil }
            let keys = APIKeyRecord.filter(APIKeyRecord.Columns.userId == id && APIKeyRecord.Columns.revokedAt == nil)
            let revoked = try keys.fetchAll(db).map(\.id)
            try keys.updateAll(db, APIKeyRecord.Columns.revokedAt.set(to: at))
            try UserRecord.deleteOne(db, key: id)
            return revoked
        }
    }
}
