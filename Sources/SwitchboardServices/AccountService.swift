import Foundation
import SwitchboardCore

public struct AccountService: Sendable {
    let store: any SwitchboardStore
    let clock: WallClock

    public init(store: any SwitchboardStore, clock: WallClock = .system) {
        self.store = store
        self.clock = clock
    }

    public func create(name: String, region: String, timeZone: String?) async throws -> Account {
        let account = Account(
            id: Identifier.make("acc"), name: try Validate.name(name), region: try Validate.region(region),
            timeZone: try timeZone.map { try Validate.timeZone($0) } ?? "UTC", createdAt: clock.now())
        try await store.insertAccount(account)
        return account
    }

    public func list(_ page: PageRequest) async throws -> Page<Account> {
        let items = try await store.accounts(page)
        return Page(items: items, request: page)
    }

    /// Operators read any account; everyone else only their own (another id reads as not found).
    public func get(id: String?, as principal: Principal) async throws -> Account {
        let id = id ?? principal.accountId
        guard principal.isOperator || id == principal.accountId, let account = try await store.account(id: id) else {
            throw SwitchboardError.notFound("account", id: id)
        }
        return account
    }
}
