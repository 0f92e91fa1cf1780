import Foundation
import SwitchboardCore

/// Turns a token into a `Principal`.
public struct AuthService: Sendable {
    let store: any SwitchboardStore
    let clock: WallClock

    public init(store: any SwitchboardStore, clock: WallClock = .system) {
        self.store = store
        self.clock = clock
    }

    /// - Parameter account: operators choose the session's account (default:
    ///   the oldest account); for others it must be their own, if given.
    public func login(token: String, account: String?) async throws -> Principal {
        guard let (keyId, secret) = Secrets.parseToken(token),
            let key = try await store.apiKey(id: keyId),
            Secrets.constantTimeEqual(key.secretHash, Secrets.sha256(secret)),
            !key.isRevoked
        else { throw SwitchboardError.unauthenticated }

        let accountId: String
        if key.role == .operator {
            if let account {
                guard try await store.account(id: account) != nil else { throw SwitchboardError.notFound("account", id: account) }
                accountId = account
            } else {
                guard let first = try await store.accounts(PageRequest(limit: 1)).first else {
                    throw SwitchboardError.conflict("no account exists yet: create one with accounts.create")
                }
                accountId = first.id
            }
        } else {
            guard let own = key.accountId else { throw SwitchboardError.unauthenticated }
            if let account, account != own { throw SwitchboardError.forbidden("this key belongs to another account") }
            accountId = own
        }
        try await store.touchAPIKey(id: key.id, at: clock.now())
        return Principal(keyId: key.id, role: key.role, accountId: accountId, userId: key.userId)
    }
}
