import Foundation
import Synchronization

/// Opaque resource ids: a type prefix, 10 characters of millisecond time and
/// 16 random ones (Crockford base32). Within one process ids are strictly
/// increasing (as ULIDs: in the same millisecond the random part is
/// incremented), so they sort by creation and make stable paging cursors.
public enum Identifier {
    static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    struct Last {
        var millis: UInt64 = 0
        var random: [UInt8] = []  // 16 base32 digit values
    }

    static let last = Mutex(Last())

    public static func make(_ prefix: String, now: Date = Date()) -> String {
        let nowMillis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        let (millis, random) = last.withLock { last -> (UInt64, [UInt8]) in
            if nowMillis > last.millis || last.random.isEmpty {
                var generator = SystemRandomNumberGenerator()
                last.millis = nowMillis
                // Top digit below 16 leaves room to increment without overflow.
                last.random = (0..<16).map { i in UInt8(generator.next() & (i == 0 ? 15 : 31)) }
            } else {
                increment(&last.random)
            }
            return (last.millis, last.random)
        }
        var bytes = Array(prefix.utf8)
        bytes.append(UInt8(ascii: "_"))
        var time = [UInt8](repeating: 0, count: 10)
        var remaining = millis
        for i in stride(from: 9, through: 0, by: -1) {
            time[i] = alphabet[Int(remaining & 31)]
            remaining >>= 5
        }
        bytes += time
        bytes += random.map { alphabet[Int($0)] }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func increment(_ digits: inout [UInt8]) {
        var i = digits.count - 1
        while i >= 0 {
            if digits[i] < 31 {
                digits[i] += 1
                return
            }
            digits[i] = 0
            i -= 1
        }
    }
}
