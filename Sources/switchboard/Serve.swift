import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SwitchboardServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server.",
        discussion: """
            Settings come from flags, then SWITCHBOARD_* environment variables, then the JSON file given \
            with --config, then defaults. On first start the data directory gets the database, a default \
            account and an operator token file (mode 0600).
            """)

    @Option(help: "Data directory (env SWITCHBOARD_DATA_DIR; default ./switchboard-data).") var dataDir: String?
    @Option(help: "Listen address HOST:PORT; port 0 picks a free port (env SWITCHBOARD_LISTEN; default 127.0.0.1:7701).") var listen: String?
    @Option(help: "Region (ISO 3166) of the default account created on first start (default DE).") var region: String?
    @Option(help: "JSON config file with the same keys (dataDir, listen, region, maxLineBytes, ...).") var config: String?
    @Option(help: "Longest request line in bytes (default 1048576).") var maxLineBytes: Int?
    @Option(help: "Most connections at once (default 10000).") var maxConnections: Int?
    @Option(help: "Seconds a connection may stay without logging in (default 30).") var idleBeforeLoginSeconds: Int?
    @Option(help: "Longest time a request may run, in seconds (default 30).") var requestTimeoutSeconds: Int?
    @Option(help: "Most requests in one batch (default 1000).") var maxBatch: Int?
    @Option(help: "Seconds a client may leave answers unread before it is disconnected (default 30).") var slowReaderSeconds: Int?
    @Option(help: "Seconds before an ordered interface becomes active by itself (default 0: at once).") var provisioningDelaySeconds: Int?
    @Option(help: "Seconds to wait for a remote system (default 20).") var remoteTimeoutSeconds: Int?
    @Option(help: "Directory CSV interfaces may read local files from (default: none, local files refused).") var csvDirectory: String?
    @Option(help: "Seconds between scheduler passes (due syncs, provisioning, data removal; default 15).") var schedulerIntervalSeconds: Int?
    @Option(help: "Most memory in MiB for caller-ID answers kept ready in memory (default 2048; 0: none, lookups read the database).") var callerIdMemoryMib: Int?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env SWITCHBOARD_LOG_LEVEL; default info).") var logLevel: String?

    func run() async throws {
        var flags: [String: String] = [:]
        flags["dataDir"] = dataDir
        flags["listen"] = listen
        flags["region"] = region
        flags["maxLineBytes"] = maxLineBytes.map(String.init)
        flags["maxConnections"] = maxConnections.map(String.init)
        flags["idleBeforeLoginSeconds"] = idleBeforeLoginSeconds.map(String.init)
        flags["requestTimeoutSeconds"] = requestTimeoutSeconds.map(String.init)
        flags["maxBatch"] = maxBatch.map(String.init)
        flags["slowReaderSeconds"] = slowReaderSeconds.map(String.init)
        flags["provisioningDelaySeconds"] = provisioningDelaySeconds.map(String.init)
        flags["remoteTimeoutSeconds"] = remoteTimeoutSeconds.map(String.init)
        flags["csvDirectory"] = csvDirectory
        flags["schedulerIntervalSeconds"] = schedulerIntervalSeconds.map(String.init)
        flags["logLevel"] = logLevel
        flags["callerIdMemoryMib"] = callerIdMemoryMib.map(String.init)
        let environment = ProcessInfo.processInfo.environment
        let file: [UInt8]?
        if let config {
            guard let data = FileManager.default.contents(atPath: config) else { throw ValidationError("cannot read config file \(config)") }
            file = Array(data)
        } else {
            file = nil
        }
        let configuration: ServerConfiguration
        do {
            configuration = try ConfigurationSources.resolve(file: file, environment: environment, flags: flags)
        } catch {
            throw ValidationError("\(error)")
        }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "switchboard")
        let app = try await Application.open(configuration, logger: logger)
        let server = RPCServer(app: app)
        let group = ServiceGroup(configuration: .init(
            services: [server, SyncScheduler(app: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            await app.close()
            throw error
        }
        await app.close()
        logger.info("database closed; bye")
    }
}
