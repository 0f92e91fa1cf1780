import AsyncHTTPClient
import Foundation
import Logging
import NIOPosix
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
    public let contacts: ContactsService
    public let interfaces: InterfaceService
    public let syncs: SyncService
    public let events: EventBus
    public let logger: Logger
    /// For connectors that speak HTTP; shut down with the application.
    let http: HTTPClient

    init(configuration: ServerConfiguration, store: SQLiteStore, vault: CredentialVault, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.logger = logger
        auth = AuthService(store: store)
        accounts = AccountService(store: store)
        users = UserService(store: store)
        apiKeys = APIKeyService(store: store)
        phonebook = PhonebookService(store: store)
        let sync = configuration.sync
        var httpConfiguration = HTTPClient.Configuration(
            redirectConfiguration: .follow(max: 5, allowCycles: false),
            timeout: .init(connect: .seconds(Int64(min(sync.remoteTimeoutSeconds, 30))), read: .seconds(Int64(sync.remoteTimeoutSeconds))))
        httpConfiguration.decompression = .enabled(limit: .ratio(20))
        http = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: httpConfiguration)
        var options = InterfaceService.Options(
            provisioningDelay: .seconds(sync.provisioningDelaySeconds), remoteTimeout: .seconds(sync.remoteTimeoutSeconds),
            localDirectory: sync.csvDirectory, temporaryDirectory: configuration.temporaryDirectory)
        options.maximumDownloadBytes = sync.maximumDownloadBytes
        interfaces = InterfaceService(store: store, vault: vault, http: http, options: options)
        contacts = ContactsService(store: store, interfaces: interfaces, phonebook: phonebook)
        let events = EventBus()
        self.events = events
        syncs = SyncService(store: store, interfaces: interfaces, phonebook: phonebook) { run in
            events.publish(topic: "sync.progress", accountId: run.accountId, params: .syncRun(run))
        }
    }

    /// Opens the data directory: creates it, the database, the default account
    /// and the operator token file on first start; reuses them afterwards.
    public static func open(_ configuration: ServerConfiguration, logger: Logger) async throws -> Application {
        let directory = DataDirectory(configuration: configuration)
        try directory.prepare()
        let vault = try directory.credentialVault(environment: ProcessInfo.processInfo.environment, logger: logger)
        let store = try SQLiteStore(path: configuration.databasePath)
        let app = Application(configuration: configuration, store: store, vault: vault, logger: logger)
        try await directory.bootstrap(app)
        for run in try await app.syncs.recover() {
            logger.warning("marked an interrupted sync run failed", metadata: ["run": "\(run.id)", "interface": "\(run.interfaceId)"])
        }
        return app
    }

    func methodTable() -> MethodTable {
        MethodTable(Methods.all(self), requestTimeout: .seconds(configuration.limits.requestTimeoutSeconds))
    }

    /// Stops running syncs (their runs are marked failed, data kept), then
    /// closes the HTTP client and the database (WAL checkpointed).
    public func close() async {
        await syncs.stopAll()
        try? await http.shutdown()
        do { try store.close() } catch { logger.error("closing the database failed", metadata: ["error": "\(error)"]) }
    }
}
