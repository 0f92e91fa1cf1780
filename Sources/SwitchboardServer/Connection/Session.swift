import NIOCore
import Synchronization
import SwitchboardCore

/// The state of one connection: who is logged in and which events it wants.
///
/// Requests of a connection run one after another, but events are pushed from
/// other tasks, so the state sits behind a mutex.
public final class Session: Sendable {
    struct State {
        var principal: Principal?
        var topics: Set<String> = []
        /// Why the session was logged out by the server (its key was revoked).
        var loggedOutReason: String?
    }

    public let id: Int
    public let remoteAddress: String
    private let state = Mutex(State())
    /// Server-to-client notifications, drained by the connection's writer task.
    let events: AsyncStream<ByteBuffer>.Continuation
    /// What this connection's inline caller-ID lookups keep between requests.
    let lookupMemo = Mutex(LookupMemo())

    init(id: Int, remoteAddress: String, events: AsyncStream<ByteBuffer>.Continuation) {
        self.id = id
        self.remoteAddress = remoteAddress
        self.events = events
    }

    public var principal: Principal? { state.withLock { $0.principal } }
    var isAuthenticated: Bool { principal != nil }

    func login(_ principal: Principal) {
        state.withLock {
            if $0.principal?.accountId != principal.accountId { $0.topics = [] }
            $0.principal = principal
            $0.loggedOutReason = nil
        }
    }

    /// Ends the login if it used one of `keyIds`; the session gets no more events.
    func logOut(ifKeyIn keyIds: Set<String>, reason: String) {
        state.withLock {
            guard let keyId = $0.principal?.keyId, keyIds.contains(keyId) else { return }
            $0.principal = nil
            $0.topics = []
            $0.loggedOutReason = reason
        }
    }

    var loggedOutReason: String? { state.withLock { $0.loggedOutReason } }

    func subscribe(_ topics: [String]) -> Set<String> {
        state.withLock { $0.topics.formUnion(topics); return $0.topics }
    }

    func unsubscribe(_ topics: [String]) -> Set<String> {
        state.withLock { $0.topics.subtract(topics); return $0.topics }
    }

    /// Whether an event of `topic` in `accountId` should reach this session.
    func wants(topic: String, accountId: String) -> Bool {
        state.withLock { $0.principal?.accountId == accountId && $0.topics.contains(topic) }
    }
}
