import Foundation
import GRDB
import SwitchboardCore

struct AccountRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "account"
    var id: String
    var name: String
    var region: String
    var timeZone: String
    var createdAt: Date

    enum Columns {
        static let id = Column(CodingKeys.id)
    }

    init(_ account: Account) {
        id = account.id
        name = account.name
        region = account.region
        timeZone = account.timeZone
        createdAt = account.createdAt
    }

    var account: Account { Account(id: id, name: name, region: region, timeZone: timeZone, createdAt: createdAt) }
}

extension SQLiteStore {
    public func insertAccount(_ account: Account) async throws {
        try await write { db in try AccountRecord(account).insert(db) }
    }

    public func account(id: String) async throws -> Account? {
        try await writer.read { db in try AccountRecord.fetchOne(db, key: id)?.account }
    }

    public func accounts(_ page: PageRequest) async throws -> [Account] {
        try await writer.read { db in
            try AccountRecord.all().after(AccountRecord.Columns.id, page).fetchAll(db).map(\.account)
        }
    }

    public func accountCount() async throws -> Int {
        try await writer.read { db in try AccountRecord.fetchCount(db) }
    }
}

extension QueryInterfaceRequest {
    /// Keyset paging on an id column (ids sort by creation time); fetches one extra item.
    func after(_ column: Column, _ page: PageRequest) -> Self {
        var request = self
        if let after = page.after { request = request.filter(column > after) }
        return request.order(column).limit(page.fetchLimit)
    }
}
