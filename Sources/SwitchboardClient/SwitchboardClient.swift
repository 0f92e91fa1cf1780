import JSONRPC
import LineFraming
import NIOCore
import NIOPosix
import Synchronization

/// A connection to a Switchboard server: calls, batches, notifications.
///
/// Requests may be issued from many tasks at once; they are pipelined on the
/// one connection and each caller gets its own answer (matched by id).
///
/// ```swift
/// let client = try await SwitchboardClient.connect(host: "127.0.0.1", port: 7701)
/// try await client.login(token: token)
/// let me = try await client.call("auth.whoami")
/// ```
public final class SwitchboardClient: Sendable {
    /// A server-to-client event.
    public struct Notification: Sendable {
        public var method: String
        public var params: JSONValue
    }

    enum Waiter {
        case single(CheckedContinuation<JSONValue, any Error>)
        case batch(CheckedContinuation<[JSONValue], any Error>)
    }

    struct State {
        var nextId: Int64 = 1
        var waiters: [Int64: Waiter] = [:]
        var closed: (any Error)? = nil
        /// After `startPassthrough`, lines nobody waits for are forwarded raw.
        var passthrough = false
    }

    private let state = Mutex(State())
    private let outgoing: AsyncStream<ByteBuffer>.Continuation
    private let notificationsContinuation: AsyncStream<Notification>.Continuation
    private let rawContinuation: AsyncStream<ByteBuffer>.Continuation
    /// Events pushed by the server (after `events.subscribe`).
    public let notifications: AsyncStream<Notification>
    /// In passthrough mode: every line received that answers no call of this client, unparsed.
    public let rawLines: AsyncStream<ByteBuffer>

    public struct ConnectionClosed: Error, CustomStringConvertible {
        public var description: String { "the connection to the server was closed" }
    }

    private init(outgoing: AsyncStream<ByteBuffer>.Continuation) {
        self.outgoing = outgoing
        (notifications, notificationsContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        (rawLines, rawContinuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Connects to `host:port`. The connection's I/O runs in a background task until `close()` or EOF.
    public static func connect(host: String, port: Int, maxLineBytes: Int = 256 << 20) async throws -> SwitchboardClient {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLineBytes: maxLineBytes)))
                    return try NIOAsyncChannel<[Frame], ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        let (outgoingStream, outgoing) = AsyncStream.makeStream(of: ByteBuffer.self)
        let client = SwitchboardClient(outgoing: outgoing)
        Task {
            do {
                try await channel.executeThenClose { inbound, outbound in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await buffer in outgoingStream { try await outbound.write(buffer) }
                            outbound.finish()  // half-close: the server answers what it has, then closes
                        }
                        for try await frames in inbound {
                            for case .line(let line) in frames { client.receive(line) }
                        }
                        group.cancelAll()
                    }
                }
                client.finish(ConnectionClosed())
            } catch {
                client.finish(error)
            }
        }
        return client
    }

    // MARK: calls

    /// Calls `method` and returns its result; throws the server's `RPCError`.
    @discardableResult
    public func call(_ method: String, _ params: JSONObject = JSONObject()) async throws -> JSONValue {
        let response = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<JSONValue, any Error>) in
            let id: Int64? = state.withLock { state in
                if state.closed != nil { return nil }
                let id = state.nextId
                state.nextId += 1
                state.waiters[id] = .single(continuation)
                return id
            }
            guard let id else { return continuation.resume(throwing: ConnectionClosed()) }
            send(Request(id: .int(id), method: method, params: params).jsonValue)
        }
        return try Self.result(of: response)
    }

    /// Sends a notification (no answer).
    public func notify(_ method: String, _ params: JSONObject = JSONObject()) {
        send(Request(id: nil, method: method, params: params).jsonValue)
    }

    /// Sends several calls as one JSON-RPC batch; results come back in the order given.
    public func batch(_ calls: [(method: String, params: JSONObject)]) async throws -> [Result<JSONValue, RPCError>] {
        guard !calls.isEmpty else { return [] }
        let responses = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[JSONValue], any Error>) in
            let firstId: Int64? = state.withLock { state in
                if state.closed != nil { return nil }
                let first = state.nextId
                state.nextId += Int64(calls.count)
                state.waiters[first] = .batch(continuation)
                return first
            }
            guard let firstId else { return continuation.resume(throwing: ConnectionClosed()) }
            let requests = calls.enumerated().map { i, call in
                Request(id: .int(firstId + Int64(i)), method: call.method, params: call.params).jsonValue
            }
            send(.array(requests))
        }
        var byId: [Int64: JSONValue] = [:]
        for response in responses { if let id = response["id"]?.intValue { byId[id] = response } }
        let firstId = responses.compactMap { $0["id"]?.intValue }.min() ?? 0
        return (0..<calls.count).map { i in
            guard let response = byId[firstId + Int64(i)] else { return .failure(RPCError(.internalError, "no answer in batch")) }
            do { return .success(try Self.result(of: response)) } catch let error as RPCError { return .failure(error) } catch {
                return .failure(.internalError)
            }
        }
    }

    /// Logs the session in. Returns `auth.login`'s result (role, account, key id).
    @discardableResult
    public func login(token: String, account: String? = nil) async throws -> JSONValue {
        var params: JSONObject = ["token": .string(token)]
        if let account { params.append("account", .string(account)) }
        return try await call("auth.login", params)
    }

    // MARK: raw lines (for `switchboard rpc`)

    /// From now on, lines answering no call of this client go to `rawLines` unparsed.
    public func startPassthrough() { state.withLock { $0.passthrough = true } }

    /// Sends one line as is (a newline is added).
    public func sendRaw<Bytes: Sequence<UInt8>>(_ line: Bytes) {
        var buffer = ByteBuffer()
        buffer.writeBytes(line)
        buffer.writeInteger(UInt8(ascii: "\n"))
        outgoing.yield(buffer)
    }

    /// Sends bytes exactly as given (no newline added).
    public func sendBytes(_ bytes: [UInt8]) {
        outgoing.yield(ByteBuffer(bytes: bytes))
    }

    /// Half-closes: no more requests; the server answers what it has, then the connection ends.
    public func finishSending() { outgoing.finish() }

    public func close() {
        outgoing.finish()
        finish(ConnectionClosed())
    }

    // MARK: internals

    private func send(_ message: JSONValue) {
        var bytes = JSONWriter.serialize(message)
        bytes.append(0x0A)
        outgoing.yield(ByteBuffer(bytes: bytes))
    }

    static func result(of response: JSONValue) throws -> JSONValue {
        if let error = response["error"] {
            throw RPCError(json: error) ?? RPCError(.internalError, "malformed error from server")
        }
        return response["result"] ?? .null
    }

    private func receive(_ line: ByteBuffer) {
        let passthrough = state.withLock { $0.passthrough && $0.waiters.isEmpty }
        if passthrough {
            rawContinuation.yield(line)
            return
        }
        guard let message = try? JSONParser.parse(line.readableBytesView) else { return }
        switch message {
        case .array(let responses):
            let ids = responses.compactMap { $0["id"]?.intValue }
            let waiter = state.withLock { state -> Waiter? in
                for id in ids { if let w = state.waiters.removeValue(forKey: id) { return w } }
                return nil
            }
            if case .batch(let continuation)? = waiter { continuation.resume(returning: responses) } else { forward(line) }
        case .object(let object):
            if object["id"] == nil, let method = object["method"]?.stringValue {
                notificationsContinuation.yield(Notification(method: method, params: object["params"] ?? .null))
                return
            }
            let waiter = object["id"]?.intValue.flatMap { id in state.withLock { $0.waiters.removeValue(forKey: id) } }
            switch waiter {
            case .single(let continuation)?: continuation.resume(returning: message)
            case .batch(let continuation)?: continuation.resume(returning: [message])  // batch refused as a whole
            case nil:
                if object["id"] == .null, let error = object["error"], let waiterOfAll = takeOldestWaiter() {
                    // An error the server could not attribute (e.g. oversized line) answers the oldest call.
                    switch waiterOfAll {
                    case .single(let c): c.resume(returning: ["id": .null, "error": error])
                    case .batch(let c): c.resume(returning: [["id": .null, "error": error]])
                    }
                } else {
                    forward(line)
                }
            }
        default:
            forward(line)
        }
    }

    private func takeOldestWaiter() -> Waiter? {
        state.withLock { state in
            guard let oldest = state.waiters.keys.min() else { return nil }
            return state.waiters.removeValue(forKey: oldest)
        }
    }

    private func forward(_ line: ByteBuffer) {
        if state.withLock({ $0.passthrough }) { rawContinuation.yield(line) }
    }

    private func finish(_ error: any Error) {
        let waiters = state.withLock { state -> [Waiter] in
            if state.closed == nil { state.closed = error }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters {
            switch waiter {
            case .single(let c): c.resume(throwing: error)
            case .batch(let c): c.resume(throwing: error)
            }
        }
        notificationsContinuation.finish()
        rawContinuation.finish()
    }

    /// True once the connection has ended.
    public var isClosed: Bool { state.withLock { $0.closed != nil } }
}
