import Foundation

/// Wall-clock time, injectable so tests can pin "now".
public struct WallClock: Sendable {
    public var now: @Sendable () -> Date
    public init(now: @escaping @Sendable () -> Date = { Date() }) { self.now = now }
    public static let system = WallClock()
}
