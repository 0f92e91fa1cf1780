import Foundation
import SwitchboardCore

/// Wall-clock time, injectable so tests can pin "now".
public struct WallClock: Sendable {
    public var now: @Sendable () -> Date
    public init(now: @escaping @Sendable () -> Date = { Date() }) { self.now = now }
    /// The system's time, to the millisecond the store keeps (`Date.roundedToMilliseconds`).
    public static let system = WallClock { Date().roundedToMilliseconds }
}
