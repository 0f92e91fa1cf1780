#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Request {
    /// Reads a request line in the one exact shape clients write for a call with an
    /// integer id and at most one string parameter —
    /// `{"jsonrpc":"2.0","id":7,"method":"phonebook.lookup","params":{"number":"+4930…"}}`,
    /// compact, members in that order, strings of printable ASCII without escapes —
    /// without building a JSON tree. Any other line (other spacing or order, more
    /// members, escapes, non-ASCII, a string id, ...) is nil and is parsed in full.
    ///
    /// A request read here is the request `JSONParser.parse` and `validate` make of
    /// the same line (`CanonicalRequestTests` checks it line by line). It is the
    /// shape of the PBX's caller-ID lookups, where parsing was a sixth of the cost.
    ///
    /// `methods`: names to reuse rather than make a String of (a name of 16 bytes or more
    /// is a heap allocation per request otherwise).
    public static func canonical(_ line: UnsafeRawBufferPointer, methods: [String] = []) -> Request? {
        var reader = CanonicalReader(line)
        guard reader.skip(#"{"jsonrpc":"2.0","id":"#), let id = reader.integer(), reader.skip(#","method":""#),
            let method = reader.plainString(reusing: methods), !method.isEmpty
        else { return nil }
        var params = JSONObject()
        if reader.skip(#","params":{"#) {
            if !reader.skip("}") {
                guard reader.skip("\""), let key = reader.plainString(), reader.skip(#":""#), let value = reader.plainString(),
                    reader.skip("}")
                else { return nil }
                params = JSONObject([(key: key, value: .string(value))])
            }
        }
        guard reader.skip("}"), reader.atEnd else { return nil }
        return Request(id: .int(id), method: method, params: params)
    }
}

/// Reads bytes of a canonical request line (see `Request.canonical`).
private struct CanonicalReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var atEnd: Bool { offset == bytes.count }

    /// Skips `literal` if the bytes at the offset are exactly it.
    mutating func skip(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - offset >= count, memcmp(bytes.baseAddress! + offset, literal.utf8Start, count) == 0 else { return false }
        offset += count
        return true
    }

    /// 0, or 1 to 18 digits without a leading zero (what JSON allows and an Int64 holds).
    mutating func integer() -> Int64? {
        let start = offset
        var value: Int64 = 0
        while offset < bytes.count, offset - start < 19, bytes[offset] &- 48 <= 9 {
            value = value &* 10 &+ Int64(bytes[offset] &- 48)  // 19 digits wrap, and are refused below
            offset += 1
        }
        let digits = offset - start
        guard digits >= 1, digits <= 18, digits == 1 || bytes[start] != 48 else { return nil }
        return value
    }

    /// The text up to the next `"` (which it skips), if it is all printable ASCII without `\`;
    /// one of `names` when it is that text.
    mutating func plainString(reusing names: [String] = []) -> String? {
        let start = offset
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == 0x22 {
                defer { offset += 1 }
                let text = UnsafeRawBufferPointer(rebasing: bytes[start..<offset])
                for var name in names where name.utf8.count == text.count && !text.isEmpty {
                    if name.withUTF8({ memcmp($0.baseAddress!, text.baseAddress!, text.count) == 0 }) { return name }
                }
                return String(decoding: text, as: UTF8.self)
            }
            guard byte >= 0x20, byte < 0x7F, byte != 0x5C else { return nil }
            offset += 1
        }
        return nil
    }
}
