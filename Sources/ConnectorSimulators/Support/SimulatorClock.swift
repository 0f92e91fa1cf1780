import Foundation
import HTTPTestServer
import Synchronization

/// The simulated system's notion of "now", in whole seconds since 1970 (UTC).
///
/// Record timestamps (Pipedrive's `update_time`) and token expiry read this clock, so a test can
/// move time forward instead of sleeping: `clock.advance(by: 3601)` expires a one-hour token and
/// makes the next edit's `update_time` later than everything before it. Request bursts (rate
/// limits) and delays use real time instead, as they are about the connector's pacing.
public final class SimulatorClock: Sendable {
    /// Where the clock starts.
    public enum Start: Sendable {
        /// The wall clock, plus whatever `advance(by:)` added (the default: timestamps look current).
        case wall
        /// A fixed instant (seconds since 1970) that moves only by `advance(by:)` or `set(_:)`:
        /// reproducible timestamps.
        case fixed(Int)
    }

    private struct State {
        var base: Int?
        var offset = 0
    }

    private let state: Mutex<State>

    public init(_ start: Start = .wall) {
        switch start {
        case .wall: state = Mutex(State(base: nil))
        case .fixed(let seconds): state = Mutex(State(base: seconds))
        }
    }

    /// Seconds since 1970, UTC.
    public var now: Int {
        state.withLock { state in
            (state.base ?? Int(Date().timeIntervalSince1970)) + state.offset
        }
    }

    /// Moves the clock forward (or back, with a negative value).
    public func advance(by seconds: Int) {
        state.withLock { $0.offset += seconds }
    }

    /// Sets the clock to `seconds` since 1970; from then on it is fixed (moved only by this type).
    public func set(_ seconds: Int) {
        state.withLock { state in
            state.base = seconds
            state.offset = 0
        }
    }
}

/// Pipedrive's timestamp text, "YYYY-MM-DD HH:MM:SS" in UTC, without Foundation's formatters
/// (a 500-person page formats 1,500 of them).
public enum PipedriveTime {
    public static func format(_ secondsSince1970: Int) -> String {
        let days = secondsSince1970 >= 0 ? secondsSince1970 / 86_400 : (secondsSince1970 - 86_399) / 86_400
        let secondOfDay = secondsSince1970 - days * 86_400
        let (year, month, day) = CivilDate.from(daysSince1970: days)
        var text = ""
        text.reserveCapacity(19)
        text += String(year)
        text += "-" + two(month) + "-" + two(day)
        text += " " + two(secondOfDay / 3_600) + ":" + two(secondOfDay / 60 % 60) + ":" + two(secondOfDay % 60)
        return text
    }

    /// Accepts "2024-05-01 10:00:00", "2024-05-01T10:00:00Z" and "2024-05-01" (midnight); nil otherwise.
    public static func parse(_ text: String) -> Int? {
        let digits = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= digits.count else { return nil }
            var value = 0
            for index in range {
                let byte = digits[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard digits.count >= 10, digits[4] == UInt8(ascii: "-"), digits[7] == UInt8(ascii: "-"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var seconds = days(fromYear: year, month: month, day: day) * 86_400
        if digits.count == 10 { return seconds }
        guard digits.count == 19 || (digits.count == 20 && digits[19] == UInt8(ascii: "Z")),
            digits[10] == UInt8(ascii: " ") || digits[10] == UInt8(ascii: "T"),
            digits[13] == UInt8(ascii: ":"), digits[16] == UInt8(ascii: ":"),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            hour < 24, minute < 60, second < 60
        else { return nil }
        seconds += hour * 3_600 + minute * 60 + second
        return seconds
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0" + String(n) : String(n) }

    /// Days since 1970-01-01 from a civil date (the inverse of `CivilDate.from(daysSince1970:)`).
    private static func days(fromYear year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
