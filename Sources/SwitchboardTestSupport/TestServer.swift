import Foundation
import JSONRPC
import Logging
import NIOCore
import ServiceLifecycle
import SwitchboardClient
import SwitchboardServer

/// A real server on a loopback port chosen by the OS, with its own data
/// directory, run in-process. Tests talk to it over TCP like any client.
public final class TestServer: Sendable {
    public let app: Application
    public let port: Int
    public let dataDirectory: String
    public let server: RPCServer
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    /// Starts a server. Pass `dataDirectory` to reuse one (restart tests);
    /// otherwise a fresh temporary directory is made.
    public static func start(
        dataDirectory: String? = nil, configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> TestServer {
        var configuration = ServerConfiguration()
        configuration.dataDirectory = dataDirectory ?? Self.makeTemporaryDirectory()
        configuration.port = 0
        configure(&configuration)
        var logger = Logger(label: "switchboard-test")
        logger.logLevel = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_LOG"] == nil ? .critical : .debug
        let app = try await Application.open(configuration, logger: logger)
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let server = RPCServer(app: app) { address in
            portContinuation.yield(address.port ?? 0)
            portContinuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [server, SyncScheduler(app: app)], logger: logger))
        let task = Task { try await group.run() }
        var iterator = portStream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestSupportError("server did not start") }
        return TestServer(app: app, port: port, dataDirectory: configuration.dataDirectory, server: server, group: group, task: task)
    }

    private init(app: Application, port: Int, dataDirectory: String, server: RPCServer, group: ServiceGroup, task: Task<Void, any Error>) {
        self.app = app
        self.port = port
        self.dataDirectory = dataDirectory
        self.server = server
        self.group = group
        self.task = task
    }

    /// Graceful shutdown, as on SIGTERM, then the database is closed.
    public func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
        await app.close()
    }

    public var operatorToken: String {
        get throws {
            let path = (dataDirectory as NSString).appendingPathComponent("operator.token")
            return try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    public func connect() async throws -> SwitchboardClient {
        try await SwitchboardClient.connect(host: "127.0.0.1", port: port)
    }

    /// A client logged in with `token` (default: the operator token).
    public func client(token: String? = nil, account: String? = nil) async throws -> SwitchboardClient {
        let client = try await connect()
        try await client.login(token: token ?? operatorToken, account: account)
        return client
    }

    /// A raw line connection for framing tests.
    public func raw() async throws -> RawConnection {
        try await RawConnection(client: connect())
    }

    /// A new empty directory under this test process's temporary root,
    /// which is removed when the process exits (tests never leave data behind).
    public static func makeTemporaryDirectory() -> String {
        let path = temporaryRoot + "/" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// One folder per test process, removed at exit (`atexit` runs after Swift Testing's last test).
    static let temporaryRoot: String = {
        let root = NSTemporaryDirectory() + "switchboard-test-\(getpid())"
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: TestServer.temporaryRoot) }
        return root
    }()
}

/// Runs `body` against a fresh server and stops it afterwards, even on failure.
public func withTestServer<T>(
    configure: (inout ServerConfiguration) -> Void = { _ in }, _ body: (TestServer) async throws -> T
) async throws -> T {
    let server = try await TestServer.start(configure: configure)
    do {
        let result = try await body(server)
        try await server.stop()
        return result
    } catch {
        try? await server.stop()
        throw error
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
