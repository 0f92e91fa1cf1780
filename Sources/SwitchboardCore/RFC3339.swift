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

/// "YYYY-MM-DDTHH:MM:SSZ" in 20 bytes, inline.
public struct RFC3339Text: Sendable {
    var storage: (UInt64, UInt64, UInt32) = (0, 0, 0)

    public func withUTF8<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: storage) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<20])) }
    }
}
