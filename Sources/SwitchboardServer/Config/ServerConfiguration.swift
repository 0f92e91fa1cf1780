import Foundation

/// Everything `switchboard serve` can be told. Defaults are the embedded,
/// single-machine setup.
public struct ServerConfiguration: Sendable, Equatable {
    public var dataDirectory: String = "./switchboard-data"
    public var host: String = "127.0.0.1"
    /// 0 picks a free port; the chosen one is logged and reported to `onRunning`.
    public var port: Int = 7701
    /// Region of the default account created on first start.
    public var region: String = "DE"
    /// swift-log level name for `switchboard serve`.
    public var logLevel: String = "info"
    public var limits = Limits()
    public var sync = Sync()
    /// Most memory, in MiB, the in-memory caller-ID index may take (0: none; lookups read the database).
    public var callerIdMemoryMiB: Int = 2_048

    /// Interfaces and syncs.
    public struct Sync: Sendable, Equatable {
        /// An ordered interface becomes active after this long (0: at once; an operator may provision earlier).
        public var provisioningDelaySeconds: Int = 0
        /// Per request to a remote system (HTTP read timeout); below the request timeout, so `interfaces.test` reports rather than times out.
        public var remoteTimeoutSeconds: Int = 20
        /// Local CSV files may be read from this directory only (nil: local files are refused).
        public var csvDirectory: String? = nil
        /// How often the scheduler looks for due syncs, provisioning and data removal.
        public var schedulerIntervalSeconds: Int = 15
        /// Largest file a connector may download (not a command-line option; tests lower it).
        public var maximumDownloadBytes: Int = 2 << 30
        public init() {}
    }

    public struct Limits: Sendable, Equatable {
        public var maxLineBytes: Int = 1 << 20
        public var maxConnections: Int = 10_000
        public var idleBeforeLoginSeconds: Int = 30
        public var requestTimeoutSeconds: Int = 30
        public var maxBatch: Int = 1_000
        public var maxDepth: Int = 64
        /// A client that does not read its answers for this long is disconnected.
        public var slowReaderSeconds: Int = 30
        public init() {}
    }

    public init() {}

    public var databasePath: String { (dataDirectory as NSString).appendingPathComponent("switchboard.sqlite") }
    public var operatorTokenPath: String { (dataDirectory as NSString).appendingPathComponent("operator.token") }
    /// AES-256 key sealing interface credentials (mode 0600), unless SWITCHBOARD_CREDENTIALS_KEY gives one.
    public var credentialsKeyPath: String { (dataDirectory as NSString).appendingPathComponent("credentials.key") }
    /// Downloads are spooled here while a sync reads them.
    public var temporaryDirectory: String { (dataDirectory as NSString).appendingPathComponent("tmp") }

    /// Parses `HOST:PORT`, `[v6]:PORT` or `:PORT`.
    public static func parseListen(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }
}
