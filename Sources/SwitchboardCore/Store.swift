import Foundation

/// Persistence, as the services see it. The SQLite store implements this now;
/// a PostgreSQL store can implement it later without touching the services.
///
/// Every account-scoped call takes the account id and must filter by it:
/// that is where account isolation is enforced for data at rest.
public protocol AccountStore: Sendable {
    func insertAccount(_ account: Account) async throws
    func account(id: String) async throws -> Account?
    func accounts(_ page: PageRequest) async throws -> [Account]
    func accountCount() async throws -> Int
}

public protocol UserStore: Sendable {
    /// Throws `SwitchboardError.conflict` (with `field`) when the e-mail or extension is taken.
    func insertUser(_ user: User) async throws
    func user(accountId: String, id: String) async throws -> User?
    func users(accountId: String, _ page: PageRequest) async throws -> [User]
    /// Throws `SwitchboardError.conflict` (with `field`) when the e-mail or extension is taken.
    func updateUser(_ user: User) async throws
    /// Deletes the user and revokes its keys in one transaction.
    /// Returns the ids of the keys revoked, or nil when there is no such user.
    func deleteUser(accountId: String, id: String, at: Date) async throws -> [String]?
}

public protocol APIKeyStore: Sendable {
    func insertAPIKey(_ key: APIKey) async throws
    /// Any account: used at login, where the account is not known yet.
    func apiKey(id: String) async throws -> APIKey?
    /// `accountId == nil` lists operator keys.
    func apiKeys(accountId: String?, _ page: PageRequest) async throws -> [APIKey]
    /// Returns the revoked key, or nil when there is no such key in that account.
    func revokeAPIKey(accountId: String?, id: String, at: Date) async throws -> APIKey?
    func touchAPIKey(id: String, at: Date) async throws
}

public protocol InterfaceStore: Sendable {
    /// Inserts the interface and records its first event, in one transaction.
    func insertInterface(_ interface: Interface, event: InterfaceEvent) async throws
    func interface(accountId: String, id: String) async throws -> Interface?
    func interfaces(accountId: String, _ page: PageRequest) async throws -> [Interface]
    /// Every interface in these states, across accounts (the scheduler's view).
    func interfaces(inStates states: [Interface.State]) async throws -> [Interface]
    /// Saves the interface and records the event (if any), in one transaction.
    func updateInterface(_ interface: Interface, event: InterfaceEvent?) async throws
    /// Newest first.
    func interfaceEvents(accountId: String, interfaceId: String, limit: Int) async throws -> [InterfaceEvent]
}

public protocol SyncRunStore: Sendable {
    func insertSyncRun(_ run: SyncRun) async throws
    func updateSyncRun(_ run: SyncRun) async throws
    func syncRun(accountId: String, id: String) async throws -> SyncRun?
    /// Newest first.
    func syncRuns(accountId: String, interfaceId: String, _ page: PageRequest) async throws -> [SyncRun]
    /// Marks every run still `queued` or `running` (left by a process that stopped) as failed; returns them.
    func failUnfinishedSyncRuns(reason: String, at: Date) async throws -> [SyncRun]
}

/// Everything the services need from storage.
public protocol SwitchboardStore: AccountStore, UserStore, APIKeyStore, PhonebookStore, InterfaceStore, SyncRunStore {}
