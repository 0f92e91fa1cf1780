import JSONRPC
import NIOCore
import Synchronization

/// Knows every open session; delivers server-to-client notifications to the
/// subscribed sessions of an account and logs out sessions whose key is revoked.
///
/// Each session has a bounded queue; a session that cannot keep up loses its
/// connection (its `events` continuation reports the drop and the connection
/// closes) rather than growing server memory.
public final class EventBus: Sendable {
    /// Topics a client may subscribe to: what they carry and who may hear them.
    public struct Topic: Sendable {
        public let summary: String
        public let access: Access
    }

    public static let topics: [String: Topic] = [
        "users.changed": Topic(summary: "a user of the account was created, updated or deleted: {action, user}", access: .anyRole),
        "sync.progress": Topic(
            summary: "a sync run of the account started, progressed (at most every 0.5 s) or ended: the run as syncs.get returns it",
            access: .admins),  // runs are admins' business, as syncs.get is
    ]

    private let sessions = Mutex<[Int: Session]>([:])

    public init() {}

    func register(_ session: Session) { sessions.withLock { $0[session.id] = session } }
    func unregister(_ session: Session) { _ = sessions.withLock { $0.removeValue(forKey: session.id) } }

    /// Logs out every open session that logged in with one of these keys, at once.
    func revoke(keyIds: [String]) {
        guard !keyIds.isEmpty else { return }
        let ids = Set(keyIds)
        for session in sessions.withLock({ Array($0.values) }) {
            session.logOut(ifKeyIn: ids, reason: "the API key of this session was revoked")
        }
    }

    /// Makes every open session let go of the caller-ID table it keeps between
    /// lookups (`LookupMemo`): the index dropped tables, whose memory is freed once
    /// no lookup in flight holds them.
    func forgetCallerIDTables() {
        for session in sessions.withLock({ Array($0.values) }) {
            session.lookupMemo.withLock { $0.table = nil }
        }
    }

    /// Sends `{"jsonrpc":"2.0","method":topic,"params":params}` to every
    /// session of `accountId` subscribed to `topic`.
    public func publish(topic: String, accountId: String, params: JSONValue) {
        let targets = sessions.withLock { $0.values.filter { $0.wants(topic: topic, accountId: accountId) } }
        guard !targets.isEmpty else { return }
        var bytes: [UInt8] = []
        JSONWriter.write(["jsonrpc": "2.0", "method": .string(topic), "params": params], into: &bytes)
        bytes.append(0x0A)
        let buffer = ByteBuffer(bytes: bytes)
        for session in targets {
            if case .dropped = session.events.yield(buffer) {
                session.events.finish()  // too slow: the connection closes
            }
        }
    }
}
