import Foundation

/// RFC 3339 UTC timestamps with second precision ("2026-11-24T22:20:17Z"),
/// formatted by arithmetic: answers carry several per entry, and Foundation's
/// format styles cost microseconds each.
public enum RFC3339 {
    public static func string(_ date: Date) -> String {
        text(date).withUTF8 { String(decoding: $0, as: UTF8.self) }
    }

    /// The same text, without allocating: answers written straight to bytes use it.
    public static func text(_ date: Date) -> RFC3339Text {
        let total = Int(date.timeIntervalSince1970.rounded(.down))
        var days = total / 86_400
        var seconds = total % 86_400
        if seconds < 0 {
            seconds += 86_400
            days -= 1
        }
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        var text = RFC3339Text()
        withUnsafeMutableBytes(of: &text.storage) { bytes in
            func put(_ value: Int, _ at: Int, _ width: Int) {
                var v = value
                for i in stride(from: at + width - 1, through: at, by: -1) {
                    bytes[i] = UInt8(48 + v % 10)
                    v /= 10
                }
            }
            put(year, 0, 4); bytes[4] = 45
            put(month, 5, 2); bytes[7] = 45
            put(day, 8, 2); bytes[10] = 84
            put(seconds / 3_600, 11, 2); bytes[13] = 58
            put(seconds % 3_600 / 60, 14, 2); bytes[16] = 58
            put(seconds % 60, 17, 2); bytes[19] = 90
        }
        return text
    }
}

extension RFC3339 {
    /// `text(date)` for the date a stored UTC timestamp "YYYY-MM-DD HH:MM:SS[.fff]"
    /// means (GRDB's format), made by copying its digits instead of going
    /// through a `Date`; nil unless the text is exactly in that form with every
    /// field in range, so that both ways give the same bytes.
    public static func text(storedUTC bytes: UnsafeRawBufferPointer) -> RFC3339Text? {
        guard bytes.count >= 19 else { return nil }
        func digit(_ i: Int) -> Int? {
            let d = Int(bytes[i]) &- 48
            return (0...9).contains(d) ? d : nil
        }
        func number(_ from: Int, _ count: Int) -> Int? {
            var value = 0
            for i in from..<(from + count) {
                guard let d = digit(i) else { return nil }
                value = value * 10 + d
            }
            return value
        }
        guard bytes[4] == 45, bytes[7] == 45, bytes[10] == 32, bytes[13] == 58, bytes[16] == 58,
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            year >= 1, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
            hour < 24, minute < 60, second < 60
        else { return nil }
        if bytes.count > 19 {  // a fraction: ".", then digits only
            guard bytes[19] == 46, bytes.count > 20, (20..<bytes.count).allSatisfy({ digit($0) != nil }) else { return nil }
        }
        var text = RFC3339Text()
        withUnsafeMutableBytes(of: &text.storage) { out in
            out.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<19]))
            out[10] = 84  // T
            out[19] = 90  // Z
        }
        return text
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// "YYYY-MM-DDTHH:MM:SSZ" in 20 bytes, inline.
public struct RFC3339Text: Sendable {
    var storage: (UInt64, UInt64, UInt32) = (0, 0, 0)

    public func withUTF8<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: storage) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<20])) }
    }
}

extension Date {
    /// This date to the whole millisecond: what the store keeps (it stores dates to
    /// the millisecond, rounded). The server's clock gives such dates, so an entry
    /// answered from memory right after it was written shows the same dates as it
    /// does when read back (05.9996 would show as :05 now and as :06 later).
    public var roundedToMilliseconds: Date {
        Date(timeIntervalSince1970: (timeIntervalSince1970 * 1_000).rounded() / 1_000)
    }
}
