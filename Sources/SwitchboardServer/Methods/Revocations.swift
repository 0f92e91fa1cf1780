import Synchronization

/// Keys revoked while this process runs, so sessions already logged in with
/// them are refused from their next request on (login itself reads the store).
public final class Revocations: Sendable {
    private let keys = Mutex<Set<String>>([])
    public init() {}
    func add<S: Sequence<String>>(_ ids: S) { keys.withLock { $0.formUnion(ids) } }
    func contains(_ id: String) -> Bool { keys.withLock { $0.contains(id) } }
}
