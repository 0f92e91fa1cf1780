import Foundation
import SwitchboardCore

public struct APIKeyService: Sendable {
    let store: any SwitchboardStore
    let clock: WallClock

    public init(store: any SwitchboardStore, clock: WallClock = .system) {
        self.store = store
        self.clock = clock
    }

    /// A key with its token, which exists only in this value: it is shown once.
    public struct Created: Sendable {
        public var key: APIKey
        public var token: String
    }

    /// Who may mint which role: only operators mint operator keys; admins mint
    /// admin, pbx and user keys for their own account.
    public func create(role: Role, userId: String?, label: String, by principal: Principal) async throws -> Created {
        if role == .operator, !principal.isOperator {
            throw SwitchboardError.forbidden("only an operator can create operator keys")
        }
        switch role {
        case .user:
            guard let userId else { throw SwitchboardError.invalid("userId", "is required for a user key") }
            guard try await store.user(accountId: principal.accountId, id: userId) != nil else {
                throw SwitchboardError.invalid("userId", "no user \(userId) in this account")
            }
        case .admin:
            if let userId, try await store.user(accountId: principal.accountId, id: userId) == nil {
                throw SwitchboardError.invalid("userId", "no user \(userId) in this account")
            }
        case .pbx, .operator:
            if userId != nil { throw SwitchboardError.invalid("userId", "not allowed for a \(role.rawValue) key") }
        }
        let id = Identifier.make("key")
        let (token, hash) = Secrets.makeToken(keyId: id)
        let key = APIKey(
            id: id, accountId: role == .operator ? nil : principal.accountId, role: role, userId: userId,
            label: try Validate.name(label, field: "label"), secretHash: hash, createdAt: clock.now(), createdBy: principal.keyId)
        try await store.insertAPIKey(key)
        return Created(key: key, token: token)
    }

    /// The first operator key of a fresh installation (no principal yet).
    public func bootstrapOperatorKey() async throws -> Created {
        let id = Identifier.make("key")
        let (token, hash) = Secrets.makeToken(keyId: id)
        let key = APIKey(
            id: id, accountId: nil, role: .operator, userId: nil, label: "operator (created at first start)",
            secretHash: hash, createdAt: clock.now(), createdBy: nil)
        try await store.insertAPIKey(key)
        return Created(key: key, token: token)
    }

    /// Lists the session account's keys, or the operator keys when `operatorKeys` (operators only).
    public func list(operatorKeys: Bool, _ page: PageRequest, by principal: Principal) async throws -> Page<APIKey> {
        if operatorKeys, !principal.isOperator { throw SwitchboardError.forbidden("only an operator can list operator keys") }
        let items = try await store.apiKeys(accountId: operatorKeys ? nil : principal.accountId, page)
        return Page(items: items, request: page)
    }

    public func revoke(id: String, by principal: Principal) async throws -> APIKey {
        if let key = try await store.revokeAPIKey(accountId: principal.accountId, id: id, at: clock.now()) { return key }
        if principal.isOperator, let key = try await store.revokeAPIKey(accountId: nil, id: id, at: clock.now()) { return key }
        throw SwitchboardError.notFound("API key", id: id)
    }
}
