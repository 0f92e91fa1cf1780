import HTTPTestServer
import Synchronization

/// A failure a test switches on; each simulator renders it in its vendor's shape (the 401 body,
/// the rate-limit headers).
public enum SimulatedFault: Sendable {
    /// 401 as for an expired or revoked token, whatever credentials the request carries.
    case unauthorized
    /// 429 with `Retry-After: seconds` (Pipedrive also sends its `x-ratelimit-*` headers).
    case rateLimited(retryAfter: Int)
    /// A server-side failure such as 500, 502 or 503, with this body.
    case serverError(status: Int, body: String, contentType: String = "text/plain; charset=utf-8")
    /// The request is answered normally, but only after this delay (client timeout tests).
    case delay(Duration)
    /// Any other answer, sent as given.
    case response(HTTPTestResponse)
}

/// Which requests an injected fault may hit.
public enum FaultTarget: Sendable, Equatable {
    /// The vendor API (contacts, persons, organizations): the default.
    case api
    /// The OAuth token endpoint only.
    case tokenEndpoint
    /// Whichever request comes first.
    case any

    func includes(_ target: FaultTarget) -> Bool {
        self == .any || self == target
    }
}

/// A fixed-window request limit: at most `requests` per `window`; the request over it answers
/// 429 with the seconds until the window ends as `Retry-After`. Rejected requests do not count.
public struct RateLimit: Sendable, Equatable {
    public var requests: Int
    public var window: Duration

    public init(requests: Int, per window: Duration = .seconds(1)) {
        self.requests = requests
        self.window = window
    }
}

/// The outcome of the rate limiter for one request.
struct RateLimitStatus: Sendable {
    var limit: Int
    var remaining: Int
    /// Whole seconds until the current window ends (at least 1).
    var resetSeconds: Int
    var isExceeded: Bool
}

/// The injected faults (a FIFO of "the next N requests") and the rate limiter, shared by a
/// simulator's routes. Thread-safe: the routes run concurrently on NIO's threads.
public final class FaultInjector: Sendable {
    private struct Pending {
        var fault: SimulatedFault
        var remaining: Int
        var target: FaultTarget
    }

    private struct State {
        var pending: [Pending] = []
        var rateLimit: RateLimit?
        var windowStart: ContinuousClock.Instant?
        var windowCount = 0
    }

    private let state = Mutex(State())

    init() {}

    /// The next `count` requests to `target` answer with `fault`. Faults queue up in order:
    /// `inject(.unauthorized)` then `inject(.serverError(...), count: 2)` fails three requests.
    public func inject(_ fault: SimulatedFault, count: Int = 1, on target: FaultTarget = .api) {
        guard count > 0 else { return }
        state.withLock { $0.pending.append(Pending(fault: fault, remaining: count, target: target)) }
    }

    /// Drops the faults not yet used.
    public func clear() {
        state.withLock { $0.pending.removeAll() }
    }

    /// How many injected faults are still waiting to be used.
    public var pendingCount: Int {
        state.withLock { $0.pending.reduce(0) { $0 + $1.remaining } }
    }

    /// The request limit on the API (nil: none, the default). Setting it starts a new window.
    public var rateLimit: RateLimit? {
        get { state.withLock { $0.rateLimit } }
        set {
            state.withLock { state in
                state.rateLimit = newValue
                state.windowStart = nil
                state.windowCount = 0
            }
        }
    }

    /// Takes the next fault meant for a request to `target`, if any.
    func nextFault(for target: FaultTarget) -> SimulatedFault? {
        state.withLock { state in
            guard let index = state.pending.firstIndex(where: { $0.target.includes(target) }) else { return nil }
            let fault = state.pending[index].fault
            state.pending[index].remaining -= 1
            if state.pending[index].remaining == 0 { state.pending.remove(at: index) }
            return fault
        }
    }

    /// Counts one API request against the rate limit; nil when there is no limit.
    func countRequest() -> RateLimitStatus? {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let limit = state.rateLimit else { return nil }
            if let start = state.windowStart, now - start < limit.window {
                // Still in the current window.
            } else {
                state.windowStart = now
                state.windowCount = 0
            }
            let elapsed = now - (state.windowStart ?? now)
            let left = limit.window - elapsed
            let resetSeconds = max(1, Int((Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18).rounded(.up)))
            if state.windowCount >= limit.requests {
                return RateLimitStatus(limit: limit.requests, remaining: 0, resetSeconds: resetSeconds, isExceeded: true)
            }
            state.windowCount += 1
            return RateLimitStatus(
                limit: limit.requests, remaining: limit.requests - state.windowCount,
                resetSeconds: resetSeconds, isExceeded: false)
        }
    }
}
