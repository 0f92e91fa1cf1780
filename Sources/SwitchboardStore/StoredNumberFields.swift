import SwitchboardCore

/// Reads the stored numbers text (see `PhonebookEntryRow.encodeNumbers`:
/// fields joined by U+001F, numbers by U+001E, lookup keys by U+001D) in place,
/// for answers written straight from a row. It follows
/// `PhonebookEntryRow.decodeNumbers` byte for byte — the same numbers are
/// kept and skipped (a test checks both on awkward texts) — but makes no
/// Strings and skips the lookup keys, which no answer shows.
enum StoredNumberFields {
    static func decode(_ bytes: UnsafeRawBufferPointer, _ body: (StoredNumberView) -> Void) {
        var fieldCount = 0
        var start = 0
        var kindField = 0..<0, raw = 0..<0, e164 = 0..<0, display = 0..<0
        func text(_ range: Range<Int>) -> UTF8Text { UTF8Text(UnsafeRawBufferPointer(rebasing: bytes[range])) }
        for i in 0...bytes.count {
            switch i < bytes.count ? bytes[i] : 0x1E {
            case 0x1D:
                start = i + 1
            case 0x1F:
                switch fieldCount {
                case 0: kindField = start..<i
                case 1: raw = start..<i
                case 2: e164 = start..<i
                case 3: display = start..<i
                default: break
                }
                fieldCount += 1
                start = i + 1
            case 0x1E:
                if fieldCount == 5, let kind = Self.kind(text(kindField)) {
                    body(StoredNumberView(kind: kind, raw: text(raw), e164: e164.isEmpty ? nil : text(e164), display: text(display)))
                }
                fieldCount = 0
                start = i + 1
            default:
                continue
            }
        }
    }

    static func kind(_ text: UTF8Text) -> EntryNumber.Kind? {
        EntryNumber.Kind.allCases.first { $0.rawValue.utf8.elementsEqual(text.bytes) }
    }
}
