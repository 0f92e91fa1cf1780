/// Serialises `JSONValue`s as compact, single-line UTF-8 JSON.
///
/// Output never contains a raw newline (strings escape them), which is what
/// makes newline-delimited framing safe.
public enum JSONWriter {
    /// Appends `value` to `out`.
    public static func write(_ value: JSONValue, into out: inout [UInt8]) {
        if case .int(let number) = value {  // a request id: no buffer needed
            withDecimal(number) { out.append(contentsOf: $0) }
            return
        }
        var sink = ByteSink()
        sink.write(value)
        sink.flush(into: &out)
    }

    /// Appends an ASCII literal.
    @inline(__always)
    static func appendLiteral(_ literal: StaticString, into out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Appends `prefix`, then `value`, then `suffix` (ASCII literals) in one pass: a response envelope.
    static func write(_ value: JSONValue, between prefix: StaticString, _ id: JSONValue, _ middle: StaticString, _ suffix: StaticString, into out: inout [UInt8]) {
        if case .fragment(let fragment) = value {
            // Already serialised (answers on hot paths): copied once, straight into `out`.
            appendLiteral(prefix, into: &out)
            write(id, into: &out)
            appendLiteral(middle, into: &out)
            out.append(contentsOf: fragment.bytes)
            appendLiteral(suffix, into: &out)
            return
        }
        var sink = ByteSink()
        sink.append(prefix)
        sink.write(id)
        sink.append(middle)
        sink.write(value)
        sink.append(suffix)
        sink.flush(into: &out)
    }

    /// Calls `body` with the decimal digits of `value` (in a buffer on the stack).
    @inline(__always)
    static func withDecimal<R>(_ value: Int64, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        // Up to 20 characters ("-9223372036854775808"); digits are produced backwards.
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch
        return withUnsafeMutableBytes(of: &digits) { scratch in
            var i = scratch.count
            repeat {
                i -= 1
                scratch[i] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                i -= 1
                scratch[i] = UInt8(ascii: "-")
            }
            return body(UnsafeBufferPointer(start: scratch.baseAddress!.assumingMemoryBound(to: UInt8.self) + i, count: scratch.count - i))
        }
    }

    public static func serialize(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(value, into: &out)
        return out
    }

    public static func string(_ value: JSONValue) -> String {
        String(decoding: serialize(value), as: UTF8.self)
    }

    /// Pretty-printed with two-space indentation, for humans (`switchboard call`).
    public static func pretty(_ value: JSONValue, indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent)
        let inner = String(repeating: "  ", count: indent + 1)
        switch value {
        case .array(let elements) where !elements.isEmpty:
            let body = elements.map { inner + pretty($0, indent: indent + 1) }.joined(separator: ",\n")
            return "[\n\(body)\n\(pad)]"
        case .object(let object) where !object.isEmpty:
            let body = object.members.map { member in
                inner + string(.string(member.key)) + ": " + pretty(member.value, indent: indent + 1)
            }.joined(separator: ",\n")
            return "{\n\(body)\n\(pad)}"
        default:
            return string(value)
        }
    }
}

/// A growable byte buffer written through a raw pointer: appending is a
/// bounds check and a store, where `[UInt8].append` also checks uniqueness
/// on every call. Serialising a 1 KB answer makes a few hundred appends.
struct ByteSink: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    /// False while `base` is memory lent by the caller (`init(lending:)`).
    private var owned = true

    init(capacity: Int = 1_024) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    /// A sink that writes into `scratch` (e.g. on the stack) until it needs more room.
    /// It must not outlive `scratch`.
    init(lending scratch: UnsafeMutableRawBufferPointer) {
        precondition(scratch.count > 0)
        capacity = scratch.count
        base = scratch.baseAddress!.assumingMemoryBound(to: UInt8.self)
        owned = false
    }

    deinit { if owned { base.deallocate() } }

    /// Appends everything written to `out`.
    func flush(into out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
    }

    /// Forgets what was written (the memory stays).
    mutating func removeAll() {
        count = 0
    }

    /// Everything written, as an array.
    func bytes() -> [UInt8] {
        Array(UnsafeBufferPointer(start: base, count: count))
    }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        let newCapacity = max(capacity * 2, count + extra)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        if owned { base.deallocate() }
        base = newBase
        owned = true
        capacity = newCapacity
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    mutating func append(_ literal: StaticString) {
        append(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null: append("null")
        case .bool(let b): append(b ? "true" : "false")
        case .int(let i): appendInteger(i)
        case .double(let d):
            if !d.isFinite {
                append("null")
            } else if d.rounded() == d, abs(d) < 1e15 {
                appendInteger(Int64(d))
            } else {
                var text = d.description
                text.withUTF8 { append($0) }
            }
        case .string(let s): writeString(s)
        case .fragment(let fragment): fragment.bytes.withUnsafeBufferPointer { append($0) }
        case .array(let elements):
            append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { append(UInt8(ascii: ",")) }
                first = false
                write(element)
            }
            append(UInt8(ascii: "]"))
        case .object(let object):
            append(UInt8(ascii: "{"))
            var first = true
            for member in object.members {
                if !first { append(UInt8(ascii: ",")) }
                first = false
                writeString(member.key)
                append(UInt8(ascii: ":"))
                write(member.value)
            }
            append(UInt8(ascii: "}"))
        }
    }

    mutating func appendInteger(_ value: Int64) {
        JSONWriter.withDecimal(value) { append($0) }
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    mutating func writeString(_ string: String) {
        var string = string
        string.withUTF8 { writeEscaped(UnsafeRawBufferPointer($0)) }
    }

    /// Writes UTF-8 bytes from elsewhere (a database row) as a JSON string,
    /// exactly as `writeString(String(decoding: bytes, as: UTF8.self))` would:
    /// valid UTF-8 is written as is; invalid input takes that path itself.
    mutating func writeString(utf8 bytes: UnsafeRawBufferPointer) {
        // Most stored text is plain ASCII with nothing to escape: copied as it is.
        if Self.isPlainASCII(bytes) {
            reserve(bytes.count + 2)
            base[count] = UInt8(ascii: "\"")
            if let source = bytes.baseAddress { (base + count + 1).update(from: source.assumingMemoryBound(to: UInt8.self), count: bytes.count) }
            base[count + 1 + bytes.count] = UInt8(ascii: "\"")
            count += bytes.count + 2
        } else if Self.isValidUTF8(bytes) {
            writeEscaped(bytes)
        } else {
            writeString(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// Bytes 0x20...0x7E except `"` and `\\`: written in a JSON string as they are.
    /// Eight bytes at a time (SWAR: a byte is flagged when it is below 0x20, above
    /// 0x7E, or equal to `"` or `\\`).
    static func isPlainASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZeroByte(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & highs }
        var i = 0
        while i + 8 <= bytes.count {
            let v = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            // Per byte, without carries between bytes: (low 7 bits + 1) reaches 0x80 only for 0x7F, and
            // v's own high bit flags 0x80...0xFF. The other three are the classic "has a byte below n" and
            // "has a zero byte" tests, exact about whether any byte is flagged (which one may be wrong).
            let high = (v | ((v & ~highs) &+ ones)) & highs
            let control = (v &- 0x2020_2020_2020_2020) & ~v & highs
            let quote = hasZeroByte(v ^ 0x2222_2222_2222_2222)
            let backslash = hasZeroByte(v ^ 0x5C5C_5C5C_5C5C_5C5C)
            if high | control | quote | backslash != 0 { return false }
            i += 8
        }
        while i < bytes.count {
            let byte = bytes[i]
            if byte < 0x20 || byte > 0x7E || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            i += 1
        }
        return true
    }

    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        if let base = bytes.baseAddress {
            while i + 8 <= bytes.count, base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { i += 8 }
        }
        while i < bytes.count, bytes[i] < 0x80 { i += 1 }
        if i == bytes.count { return true }
        var iterator = bytes[i...].makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// Valid UTF-8 as a JSON string.
    private mutating func writeEscaped(_ bytes: UnsafeRawBufferPointer) {
        // Worst case every byte becomes \u00XX: reserve once, then store without checks.
        reserve(bytes.count * 6 + 2)
        var out = base + count
        out.pointee = UInt8(ascii: "\"")
        out += 1
        for byte in bytes {
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                out.pointee = byte
                out += 1
                continue
            }
            out.pointee = UInt8(ascii: "\\")
            switch byte {
            case UInt8(ascii: "\""): out[1] = UInt8(ascii: "\""); out += 2
            case UInt8(ascii: "\\"): out[1] = UInt8(ascii: "\\"); out += 2
            case 0x0A: out[1] = UInt8(ascii: "n"); out += 2
            case 0x0D: out[1] = UInt8(ascii: "r"); out += 2
            case 0x09: out[1] = UInt8(ascii: "t"); out += 2
            case 0x08: out[1] = UInt8(ascii: "b"); out += 2
            case 0x0C: out[1] = UInt8(ascii: "f"); out += 2
            default:
                out[1] = UInt8(ascii: "u"); out[2] = UInt8(ascii: "0"); out[3] = UInt8(ascii: "0")
                out[4] = Self.hexDigits.utf8Start[Int(byte >> 4)]
                out[5] = Self.hexDigits.utf8Start[Int(byte & 0xF)]
                out += 6
            }
        }
        out.pointee = UInt8(ascii: "\"")
        out += 1
        count = out - base
    }

    /// Appends a copy of bytes already written here (`range`).
    mutating func appendCopy(of range: Range<Int>) {
        reserve(range.count)  // may move the buffer: copy from its new place
        (base + count).update(from: base + range.lowerBound, count: range.count)
        count += range.count
    }

    /// The bytes written so far, from `range`.
    func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
    }

    var byteCount: Int { count }
}

/// JSON already serialised (by `JSONStreamWriter`): valid, compact, one line.
public struct JSONFragment: Sendable, Hashable {
    public let bytes: [UInt8]

    init(serialized bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Serialises what `body` writes (one value).
    public init(_ body: (inout JSONStreamWriter) -> Void) {
        var writer = JSONStreamWriter()
        body(&writer)
        bytes = writer.sink.bytes()
    }
}

extension JSONStreamWriter {
    /// Appends `object`, a JSON object serialised by a `JSONStreamWriter`, with the fields
    /// `body` writes after its own: copied once, straight into `out` (caller-ID answers
    /// kept ready in memory are answered this way, into the connection's response).
    public static func appendObject(_ object: UnsafeRawBufferPointer, extendedBy body: (inout JSONStreamWriter) -> Void, to out: inout [UInt8]) {
        precondition(object.count >= 2 && object.last == UInt8(ascii: "}"), "a serialised object")
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: object[..<(object.count - 1)]))
        // The added fields are a few hundred bytes: written on the stack, then copied.
        withUnsafeTemporaryAllocation(byteCount: 512, alignment: 1) { scratch in
            var tail = JSONStreamWriter(sink: ByteSink(lending: scratch))
            tail.needsComma = object.count > 2
            body(&tail)
            tail.sink.append(UInt8(ascii: "}"))
            tail.sink.flush(into: &out)
        }
    }
}

/// Writes JSON straight to bytes, without building `JSONValue`s: for answers
/// on hot paths (`JSONFragment`). Commas are placed automatically; keys are
/// string literals and must not need escaping.
///
///     JSONFragment { w in
///         w.object { w in
///             w.field("id", entry.id)
///             w.field("numbers", array: entry.numbers) { w, n in w.object { w in w.field("e164", n.e164) } }
///         }
///     }
public struct JSONStreamWriter: ~Copyable {
    var sink = ByteSink()
    fileprivate(set) var needsComma = false

    public init() {}

    /// A writer whose buffer starts with room for `capacity` bytes.
    public init(capacity: Int) {
        sink = ByteSink(capacity: capacity)
    }

    init(sink: consuming ByteSink) {
        self.sink = sink
    }

    @inline(__always)
    private mutating func separate() {
        if needsComma { sink.append(UInt8(ascii: ",")) }
        needsComma = true
    }

    public mutating func key(_ key: StaticString) {
        separate()
        sink.append(UInt8(ascii: "\""))
        sink.append(key)
        sink.append(UInt8(ascii: "\""))
        sink.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func string(_ value: String) {
        separate()
        sink.writeString(value)
    }

    public mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    /// UTF-8 bytes from elsewhere, written exactly as the `String` decoded from them would be.
    public mutating func string(utf8 bytes: UnsafeRawBufferPointer) {
        separate()
        sink.writeString(utf8: bytes)
    }

    /// A value already serialised by a `JSONStreamWriter` (see `withBytes`), copied as is.
    public mutating func serialized(_ bytes: UnsafeRawBufferPointer) {
        separate()
        sink.append(UnsafeBufferPointer(start: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: bytes.count))
    }

    /// A value written earlier by this writer (a range of `byteCount`s), copied again.
    public mutating func serializedCopy(of range: Range<Int>) {
        separate()
        sink.appendCopy(of: range)
    }

    /// The bytes of `range` as a fragment (they must be one complete value).
    public func fragment(_ range: Range<Int>) -> JSONFragment {
        sink.withBytes(range) { JSONFragment(serialized: Array($0)) }
    }

    /// Bytes written so far: with `withBytes`, values written here can be kept
    /// and copied into another writer later (`serialized`).
    public var byteCount: Int { sink.byteCount }

    /// Forgets everything written (keeping the memory): the writer starts over.
    public mutating func removeAll() {
        sink.removeAll()
        needsComma = false
    }

    /// Starts a value that stands alone (no comma before it), e.g. the next
    /// of several kept values.
    public mutating func startStandaloneValue() {
        needsComma = false
    }

    public func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try sink.withBytes(range, body)
    }

    public mutating func int(_ value: Int64) {
        separate()
        sink.appendInteger(value)
    }

    public mutating func bool(_ value: Bool) {
        separate()
        sink.append(value ? "true" : "false")
    }

    public mutating func null() {
        separate()
        sink.append("null")
    }

    public mutating func value(_ value: JSONValue) {
        separate()
        sink.write(value)
    }

    public mutating func object(_ body: (inout JSONStreamWriter) -> Void) {
        separate()
        sink.append(UInt8(ascii: "{"))
        needsComma = false
        body(&self)
        sink.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        sink.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        sink.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Inlinable so that it is specialised for the caller's sequence: unspecialised,
    /// each call looked up generic metadata at run time.
    @inlinable
    public mutating func array<S: Sequence>(_ elements: S, _ element: (inout JSONStreamWriter, S.Element) -> Void) {
        beginArray()
        for e in elements { element(&self, e) }
        endArray()
    }

    public mutating func field(_ key: StaticString, _ value: String) { self.key(key); string(value) }
    public mutating func field(_ key: StaticString, _ value: String?) { self.key(key); string(value) }
    public mutating func field(_ key: StaticString, _ value: Int64) { self.key(key); int(value) }
    public mutating func field(_ key: StaticString, _ value: Bool) { self.key(key); bool(value) }
    public mutating func field(_ key: StaticString, _ value: JSONValue) { self.key(key); self.value(value) }
    public mutating func field<T: JSONText>(_ key: StaticString, text value: T?) {
        self.key(key)
        if let value { value.writeJSON(into: &self) } else { null() }
    }
    public mutating func field(_ key: StaticString, object body: (inout JSONStreamWriter) -> Void) { self.key(key); object(body) }
    @inlinable
    public mutating func field<S: Sequence>(_ key: StaticString, array elements: S, _ element: (inout JSONStreamWriter, S.Element) -> Void) {
        self.key(key)
        array(elements, element)
    }
}

/// Text a `JSONStreamWriter` writes as a JSON string: `String`, or bytes
/// borrowed from elsewhere (see `JSONStreamWriter.string(utf8:)`).
public protocol JSONText {
    func writeJSON(into writer: inout JSONStreamWriter)
}

extension String: JSONText {
    public func writeJSON(into writer: inout JSONStreamWriter) { writer.string(self) }
}
