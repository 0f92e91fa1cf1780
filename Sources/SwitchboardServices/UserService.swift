import Foundation
import SwitchboardCore

public struct UserService: Sendable {
    let store: any SwitchboardStore
    let clock: WallClock

    public init(store: any SwitchboardStore, clock: WallClock = .system) {
        self.store = store
        self.clock = clock
    }

    public struct Changes: Sendable {
        public var name: String?
        public var email: String?
        /// `.some(nil)` clears the extension.
        public var extensionNumber: String??
        public var numbers: [String]?
        public var region: String??
        public init(name: String? = nil, email: String? = nil, extensionNumber: String?? = nil, numbers: [String]? = nil, region: String?? = nil) {
            self.name = name
            self.email = email
            self.extensionNumber = extensionNumber
            self.numbers = numbers
            self.region = region
        }
    }

    public func create(accountId: String, _ fields: Changes) async throws -> User {
        guard let name = fields.name else { throw SwitchboardError.invalid("name", "is required") }
        guard let email = fields.email else { throw SwitchboardError.invalid("email", "is required") }
        let now = clock.now()
        var user = User(id: Identifier.make("usr"), accountId: accountId, name: "", email: email, createdAt: now, updatedAt: now)
        user.name = name
        try apply(fields, to: &user)
        try await store.insertUser(user)
        return user
    }

    public func get(accountId: String, id: String) async throws -> User {
        guard let user = try await store.user(accountId: accountId, id: id) else { throw SwitchboardError.notFound("user", id: id) }
        return user
    }

    public func list(accountId: String, _ page: PageRequest) async throws -> Page<User> {
        let items = try await store.users(accountId: accountId, page)
        return Page(items: items, request: page)
    }

    public func update(accountId: String, id: String, _ changes: Changes) async throws -> User {
        var user = try await get(accountId: accountId, id: id)
        try apply(changes, to: &user)
        user.updatedAt = clock.now()
        try await store.updateUser(user)
        return user
    }

    /// Deletes the user; its API keys are revoked in the same transaction.
    /// Returns the revoked key ids so open sessions using them can be cut off.
    public func delete(accountId: String, id: String) async throws -> [String] {
        guard let revoked = try await store.deleteUser(accountId: accountId, id: id, at: clock.now()) else {
            throw SwitchboardError.notFound("user", id: id)
        }
        return revoked
    }

    private func apply(_ changes: Changes, to user: inout User) throws {
        if let name = changes.name { user.name = try Validate.name(name) }
        if let email = changes.email { user.email = try Validate.email(email) }
        if let ext = changes.extensionNumber { user.extensionNumber = try ext.map { try Validate.extensionNumber($0) } }
        if let numbers = changes.numbers {
            guard numbers.count <= 20 else { throw SwitchboardError.invalid("numbers", "at most 20 numbers") }
            user.numbers = try numbers.enumerated().map { try Validate.phoneNumber($1, field: "numbers[\($0)]") }
        }
        if let region = changes.region { user.region = try region.map { try Validate.region($0) } }
    }
}
