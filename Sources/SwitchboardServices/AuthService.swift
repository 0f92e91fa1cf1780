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
        recordUse(of: key)
        return Principal(keyId: key.id, role: key.role, accountId: accountId, userId: key.userId)
    }

    /// How finely a key's `lastUsedAt` follows its logins: its use is written at most this often.
    static let lastUseResolution: TimeInterval = 60

    /// Records the key's use beside the login, not before answering it. It is bookkeeping:
    /// a login that waited for it would wait behind a sync's writes (a publishing holds the
    /// writer for seconds), and fail when the disk is full, taking the phone system's
    /// caller ID with it. Written at most once a minute per key; a failed write is dropped.
    private func recordUse(of key: APIKey) {
        let now = clock.now()
        if let last = key.lastUsedAt, now.timeIntervalSince(last) < Self.lastUseResolution { return }
        Task { [store] in try? await store.touchAPIKey(id: key.id, at: now) }
    }
}
