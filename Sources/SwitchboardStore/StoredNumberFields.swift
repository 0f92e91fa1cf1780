import Foundation
import SwitchboardCore

/// Reads the stored numbers text (see `PhonebookEntryRow.encodeNumbers`:
/// fields joined by U+001F, numbers by U+001E, lookup keys by U+001D) in place,
/// for answers written straight from a row. It follows
/// `PhonebookEntryRow.decodeNumbers` byte for byte — the same numbers are
/// kept and skipped (a test checks both on awkward texts) — but makes no
/// Strings and skips the lookup keys, which no answer shows.
enum StoredNumberFields {
    static func decode(_ bytes: UnsafeRawBufferPointer, _ body: (StoredNumberView) -> Void) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let p = base.assumingMemoryBound(to: UInt8.self)
        let n = bytes.count
        var fieldCount = 0
        var start = 0
        // The first four fields: kind, as typed, E.164, display.
        var kindStart = 0, kindEnd = 0, rawStart = 0, rawEnd = 0, e164Start = 0, e164End = 0, displayStart = 0, displayEnd = 0
        var i = 0
        while true {
            while i < n, p[i] >= 0x20 { i += 1 }  // no separator among printable bytes
            let byte: UInt8 = i < n ? p[i] : 0x1E  // the end closes the last number
            switch byte {
            case 0x1D:
                start = i + 1
            case 0x1F:
                switch fieldCount {
                case 0: (kindStart, kindEnd) = (start, i)
                case 1: (rawStart, rawEnd) = (start, i)
                case 2: (e164Start, e164End) = (start, i)
                case 3: (displayStart, displayEnd) = (start, i)
                default: break
                }
                fieldCount += 1
                start = i + 1
            case 0x1E:
                if fieldCount == 5, let kind = kind(UnsafeRawBufferPointer(start: p + kindStart, count: kindEnd - kindStart)) {
                    body(StoredNumberView(
                        kind: kind, raw: UTF8Text(UnsafeRawBufferPointer(start: p + rawStart, count: rawEnd - rawStart)),
                        e164: e164End > e164Start ? UTF8Text(UnsafeRawBufferPointer(start: p + e164Start, count: e164End - e164Start)) : nil,
                        display: UTF8Text(UnsafeRawBufferPointer(start: p + displayStart, count: displayEnd - displayStart))))
                }
                fieldCount = 0
                start = i + 1
            default:
                break  // another control byte: part of the field
            }
            if i >= n { return }
            i += 1
        }
    }

    /// The kinds by their stored names (compared as bytes: no String per number).
    static let kinds: [(name: [UInt8], kind: EntryNumber.Kind)] = EntryNumber.Kind.allCases.map { (Array($0.rawValue.utf8), $0) }

    static func kind(_ bytes: UnsafeRawBufferPointer) -> EntryNumber.Kind? {
        for (name, kind) in kinds where name.count == bytes.count {
            if name.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) { return kind }
        }
        return nil
    }
}
