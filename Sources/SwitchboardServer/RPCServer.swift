import JSONRPC
import Logging
import LineFraming
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import SwitchboardCore

/// The TCP listener: accepts connections and runs each one's request loop.
///
/// A swift-service-lifecycle `Service`: on SIGTERM/SIGINT it stops accepting,
/// lets every connection finish the requests it has read, and returns.
public final class RPCServer: Service, Sendable {
    let app: Application
    let table: MethodTable
    let engine: RPCEngine<Session>
    let group: any EventLoopGroup
    let onRunning: (@Sendable (SocketAddress) async -> Void)?
    private let connections = Atomic<Int>(0)
    private let nextSessionId = Atomic<Int>(1)
    /// Set on graceful shutdown: connections finish the batch they are on and stop.
    private let draining = Atomic<Bool>(false)

    public init(app: Application, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                onRunning: (@Sendable (SocketAddress) async -> Void)? = nil) {
        self.app = app
        self.group = group
        self.onRunning = onRunning
        let table = app.methodTable()
        self.table = table
        let logger = app.logger
        self.engine = RPCEngine(
            limits: .init(maxDepth: app.configuration.limits.maxDepth, maxBatch: app.configuration.limits.maxBatch),
            invoke: { method, params, session in try await table.invoke(method, params, session) },
            mapError: { error, method in ErrorMapping.rpcError(error, method: method, logger: logger) },
            onError: { error, method, session in
                // One line per failed request. Messages carry no secrets (tokens are never echoed).
                logger.info("request failed", metadata: [
                    "session": "\(session.id)", "method": "\(method ?? "-")", "code": "\(error.code.rawValue)", "error": "\(error.message)",
                ])
            })
    }

    public func run() async throws {
        let limits = app.configuration.limits
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(host: app.configuration.host, port: app.configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SlowReaderGuard(timeout: .seconds(Int64(limits.slowReaderSeconds))))
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLineBytes: limits.maxLineBytes)))
                    let responder = InlineResponder(engine: self.engine, table: self.table, isDraining: { self.draining.load(ordering: .relaxed) })
                    try channel.pipeline.syncOperations.addHandler(responder)
                    return Accepted(
                        channel: try NIOAsyncChannel<[Frame], ByteBuffer>(wrappingChannelSynchronously: channel),
                        responder: NIOLoopBound(responder, eventLoop: channel.eventLoop))
                }
            }
        let address = server.channel.localAddress!
        app.logger.info("listening", metadata: ["address": "\(address)", "port": "\(address.port ?? 0)"])
        await onRunning?(address)

        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        let executor = EventLoopTaskExecutor(connection.channel.channel.eventLoop)
                        group.addTask(executorPreference: executor) { await self.serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            self.app.logger.info("shutting down: no new connections, finishing requests in flight")
            self.draining.store(true, ordering: .relaxed)
            server.channel.close(promise: nil)
        }
        app.logger.info("server stopped")
    }

    /// An accepted connection: its async channel, and the handler that answers inline requests on its event loop.
    struct Accepted: Sendable {
        let channel: NIOAsyncChannel<[Frame], ByteBuffer>
        let responder: NIOLoopBound<InlineResponder>
    }

    /// One connection. Never throws: a misbehaving client only ends its own connection.
    func serve(_ accepted: Accepted) async {
        let connection = accepted.channel
        let channel = connection.channel
        let responder = accepted.responder
        let remote = channel.remoteAddress.map { "\($0)" } ?? "unknown"
        let count = connections.wrappingAdd(1, ordering: .relaxed).newValue
        defer { connections.wrappingSubtract(1, ordering: .relaxed) }
        let limits = app.configuration.limits
        if count > limits.maxConnections {
            app.logger.warning("connection refused: limit reached", metadata: ["remote": "\(remote)", "limit": "\(limits.maxConnections)"])
            let line = RPCEngine<Session>.errorLine(RPCError(.rateLimited, "Too many connections", data: ["retryAfterSeconds": 1]))
            try? await connection.executeThenClose { _, outbound in try await outbound.write(ByteBuffer(bytes: line)) }
            return
        }
        let (events, eventsContinuation) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .bufferingOldest(1_024))
        let session = Session(id: nextSessionId.wrappingAdd(1, ordering: .relaxed).oldValue, remoteAddress: remote, events: eventsContinuation)
        let logger = app.logger
        logger.info("connection opened", metadata: ["session": "\(session.id)", "remote": "\(remote)"])
        app.events.register(session)
        defer { app.events.unregister(session) }
        channel.eventLoop.execute { responder.value.activate(session) }

        var requests = 0
        do {
            try await connection.executeThenClose { inbound, outbound in
                try await withGracefulShutdownHandler {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        // Idle before login: a connection that never logs in is closed.
                        group.addTask {
                            try await Task.sleep(for: .seconds(limits.idleBeforeLoginSeconds))
                            if !session.isAuthenticated {
                                logger.info("closing: no login in time", metadata: ["session": "\(session.id)"])
                                let notice = RPCEngine<Session>.errorLine(RPCError(
                                    .unauthenticated, "Unauthenticated: no auth.login within \(limits.idleBeforeLoginSeconds) s, closing",
                                    data: ["idleBeforeLoginSeconds": .int(Int64(limits.idleBeforeLoginSeconds))]))
                                try? await outbound.write(ByteBuffer(bytes: notice))
                                channel.close(promise: nil)
                            }
                        }
                        // Pushed events; a session that overflows its queue is closed.
                        group.addTask {
                            for await event in events { try await outbound.write(event) }
                            channel.close(promise: nil)
                        }
                        requests = try await self.requestLoop(inbound: inbound, outbound: outbound, session: session, responder: responder)
                        eventsContinuation.finish()
                        group.cancelAll()
                    }
                } onGracefulShutdown: {
                    // Stop reading; the batch being worked on is answered, then the connection closes.
                    self.draining.store(true, ordering: .relaxed)
                    channel.close(mode: .input, promise: nil)
                }
            }
        } catch {
            logger.debug("connection error", metadata: ["session": "\(session.id)", "error": "\(error)"])
        }
        eventsContinuation.finish()
        requests += (try? await channel.eventLoop.submit { responder.value.requests }.get()) ?? 0
        logger.info("connection closed", metadata: ["session": "\(session.id)", "remote": "\(remote)", "requests": "\(requests)"])
    }

    /// Reads the batches of lines `InlineResponder` did not answer, answers
    /// each in order, writes the answers of a batch together, and tells the
    /// responder when a batch's answers are written.
    private func requestLoop(
        inbound: NIOAsyncChannelInboundStream<[Frame]>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, session: Session,
        responder: NIOLoopBound<InlineResponder>
    ) async throws -> Int {
        let loop = responder.eventLoop
        let maxLine = app.configuration.limits.maxLineBytes
        let oversized = RPCEngine<Session>.errorLine(
            .invalidRequest("line longer than \(maxLine) bytes", data: ["maxLineBytes": .int(Int64(maxLine))]))
        var out: [UInt8] = []
        out.reserveCapacity(4_096)
        var requests = 0
        for try await frames in inbound {
            // Shutting down: stop at a line boundary. Lines still queued (or a
            // partial line flushed by closing the input) are not started.
            if draining.load(ordering: .relaxed) { break }
            for frame in frames {
                requests += 1
                switch frame {
                case .oversized:
                    app.logger.info("oversized line skipped", metadata: ["session": "\(session.id)"])
                    out.append(contentsOf: oversized)
                case .line(let line):
                    switch line.withUnsafeReadableBytes({ engine.parse($0) }) {
                    case .blank: break
                    case .message(let message): await engine.handle(message: message, context: session, into: &out)
                    case .error(let error): engine.answer(error, context: session, into: &out)
                    }
                }
                if out.count >= 64 * 1_024 {
                    try await outbound.write(ByteBuffer(bytes: out))
                    out.removeAll(keepingCapacity: true)
                }
            }
            if !out.isEmpty {
                try await outbound.write(ByteBuffer(bytes: out))
                out.removeAll(keepingCapacity: true)
            }
            // The write has reached the channel (or is queued on the event loop before this).
            if loop.inEventLoop {
                responder.value.asyncBatchAnswered()
            } else {
                loop.execute { responder.value.asyncBatchAnswered() }
            }
        }
        return requests
    }
}

extension RPCServer {
    /// Every method this server answers (for `rpc.discover` consistency checks).
    public var methodNames: [String] { table.names }
    /// The access rule of a method, or nil if there is no such method.
    public func access(of method: String) -> Access? { table.methods[method]?.access }
}
