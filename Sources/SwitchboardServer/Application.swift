import AsyncHTTPClient
import Foundation
import Logging
import NIOPosix
import SwitchboardCore
import SwitchboardServices
import SwitchboardStore
import Synchronization

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
    /// Caller-ID answers of E.164 numbers kept ready in memory (nil: none; see `CallerIDIndex`).
    public let callerIDIndex: CallerIDIndex?
    public let logger: Logger
    /// For connectors that speak HTTP; shut down with the application.
    let http: HTTPClient
    /// Renders the caller-ID answers the store is missing (after an upgrade), beside serving.
    private let answerRendering = Mutex<Task<Void, Never>?>(nil)
    /// Held from `open` to `close`: no second server uses the data directory meanwhile.
    private let dataDirectoryLock: DataDirectoryLock

    init(configuration: ServerConfiguration, store: SQLiteStore, vault: CredentialVault, logger: Logger, lock: DataDirectoryLock) {
        self.configuration = configuration
        dataDirectoryLock = lock
        self.store = store
        self.logger = logger
        auth = AuthService(store: store)
        accounts = AccountService(store: store)
        users = UserService(store: store)
        apiKeys = APIKeyService(store: store)
        phonebook = PhonebookService(store: store)
        let events = EventBus()
        self.events = events
        callerIDIndex = CallerIDIndex(
            store: store, options: .init(memoryLimit: configuration.callerIdMemoryMiB << 20), logger: logger, renderer: { RowAnswers() },
            onDrop: { events.forgetCallerIDTables() })
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
        syncs = SyncService(store: store, interfaces: interfaces, phonebook: phonebook) { run in
            events.publish(topic: "sync.progress", accountId: run.accountId, params: .syncRun(run))
        }
    }

    /// Opens the data directory: creates it, the database, the default account
    /// and the operator token file on first start; reuses them afterwards.
    public static func open(_ configuration: ServerConfiguration, logger: Logger) async throws -> Application {
        let directory = DataDirectory(configuration: configuration)
        let lock = try directory.prepare()
        let vault = try directory.credentialVault(environment: ProcessInfo.processInfo.environment, logger: logger)
        let store = try SQLiteStore(path: configuration.databasePath, answerFormat: .phonebook)
        let app = Application(configuration: configuration, store: store, vault: vault, logger: logger, lock: lock)
        try await directory.bootstrap(app)
        for run in try await app.syncs.recover() {
            logger.warning("marked an interrupted sync run failed", metadata: ["run": "\(run.id)", "interface": "\(run.interfaceId)"])
        }
        app.renderPendingAnswers()
        try app.callerIDIndex?.start()
        return app
    }

    /// Starts rendering, in the background, the stored answers entries lack
    /// (all of them once after an upgrade that changed their format; none
    /// otherwise). Until an entry has one, lookups of it take the async path.
    private func renderPendingAnswers() {
        let store = store, logger = logger
        let task = Task {
            do {
                let started = ContinuousClock.now
                let rendered = try await store.renderPendingAnswers()
                if rendered > 0 {
                    logger.info("rendered stored caller-ID answers", metadata: [
                        "entries": "\(rendered)", "duration": "\(ContinuousClock.now - started)",
                    ])
                }
            } catch is CancellationError {
            } catch {
                logger.error("rendering stored caller-ID answers failed", metadata: ["error": "\(error)"])
            }
        }
        answerRendering.withLock { $0 = task }
    }

    /// Returns once the rendering started at open has finished (benchmarks wait
    /// for it, so that they time the lookups of a server that has caught up).
    public func answersRendered() async {
        await answerRendering.withLock({ $0 })?.value
    }

    /// Returns once the caller-ID index has built every account that changed or is
    /// new (benchmarks and tests wait for it; lookups are answered all along).
    public func callerIDIndexBuilt() async {
        guard let index = callerIDIndex else { return }
        while index.stats.pending > 0 || index.isBuilding { try? await Task.sleep(for: .milliseconds(20)) }
    }

    func methodTable() -> MethodTable {
        MethodTable(Methods.all(self), requestTimeout: .seconds(configuration.limits.requestTimeoutSeconds))
    }

    /// Stops running syncs (their runs are marked failed, data kept), then
    /// closes the HTTP client and the database (WAL checkpointed).
    public func close() async {
        if let rendering = answerRendering.withLock({ $0 }) {
            rendering.cancel()
            await rendering.value
        }
        await syncs.stopAll()
        callerIDIndex?.close()
        try? await http.shutdown()
        do { try store.close() } catch { logger.error("closing the database failed", metadata: ["error": "\(error)"]) }
        dataDirectoryLock.release()
    }
}
