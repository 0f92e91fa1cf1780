import Foundation

/// Opaque resource ids: a type prefix, 10 characters of millisecond time and
/// 16 random ones (Crockford base32), so ids sort by creation time and make
/// stable paging cursors.
public enum Identifier {
    static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")

    public static func make(_ prefix: String, now: Date = Date()) -> String {
        var millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        var time = [Character](repeating: "0", count: 10)
        for i in stride(from: 9, through: 0, by: -1) {
            time[i] = alphabet[Int(millis & 31)]
            millis >>= 5
        }
        var generator = SystemRandomNumberGenerator()
        let random = (0..<16).map { _ in alphabet[Int(generator.next() & 31)] }
        return prefix + "_" + String(time) + String(random)
    }
}
