import Foundation
import Logging
import SwitchboardCore
import SwitchboardServices
import SwitchboardStore

/// The wired-up server: store, services and the method table. Built by
/// `Application.open`, used by `switchboard serve` and by the tests alike.
public final class Application: Sendable {
    public let configuration: ServerConfiguration
    public let store: SQLiteStore
    public let auth: AuthService
    public let accounts: AccountService
    public let users: UserService
    public let apiKeys: APIKeyService
    public let phonebook: PhonebookService
    public let events = EventBus()
    public let logger: Logger

    init(configuration: ServerConfiguration, store: SQLiteStore, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.logger = logger
        auth = AuthService(store: store)
        accounts = AccountService(store: store)
        users = UserService(store: store)
        apiKeys = APIKeyService(store: store)
        phonebook = PhonebookService(store: store)
    }

    /// Opens the data directory: creates it, the database, the default account
    /// and the operator token file on first start; reuses them afterwards.
    public static func open(_ configuration: ServerConfiguration, logger: Logger) async throws -> Application {
        let directory = DataDirectory(configuration: configuration)
        try directory.prepare()
        let store = try SQLiteStore(path: configuration.databasePath)
        let app = Application(configuration: configuration, store: store, logger: logger)
        try await directory.bootstrap(app)
        return app
    }

    func methodTable() -> MethodTable {
        MethodTable(Methods.all(self), requestTimeout: .seconds(configuration.limits.requestTimeoutSeconds))
    }

    /// Closes the database cleanly (WAL checkpointed).
    public func close() {
        do { try store.close() } catch { logger.error("closing the database failed", metadata: ["error": "\(error)"]) }
    }
}
