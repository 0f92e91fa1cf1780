import Foundation

/// UTF-8 text borrowed from storage that is being read (a database row):
/// valid only while the row is visited.
public struct UTF8Text {
    public let bytes: UnsafeRawBufferPointer

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// A copy, decoded as `String(decoding:as:)` does.
    public var string: String { String(decoding: bytes, as: UTF8.self) }
}

/// What a caller-ID answer reads of a stored phonebook entry, borrowed from
/// the database row the store is reading (see `ImmediateLookups.visitEntriesNow`):
/// the fields that rank and summarise a match, and the entry's JSON as the
/// store keeps it ready (`EntryAnswerFormat`). No `PhonebookEntry` is built.
/// Each field reads exactly as the same field of the `PhonebookEntry` the store
/// would make of the row. Valid only during the visit.
public struct EntryRowView {
    public var id: UTF8Text
    public var source: PhonebookEntry.Source
    public var displayName: UTF8Text
    public var company: UTF8Text?
    /// For ranking suffix matches (is a number kept as typed?).
    public var numbers: StoredNumbers
    /// For ranking; the answer shows `updatedAtText`.
    public var updatedAt: Date
    /// `RFC3339.text` of the entry's update date (the store may make it from the
    /// row's text directly, without a `Date`).
    public var updatedAtText: RFC3339Text
    /// The entry's full JSON, as `EntryAnswerFormat.render` wrote it with the entry.
    public var entryJSON: UTF8Text

    public init(
        id: UTF8Text, source: PhonebookEntry.Source, displayName: UTF8Text, company: UTF8Text?, numbers: StoredNumbers,
        updatedAt: Date, updatedAtText: RFC3339Text, entryJSON: UTF8Text
    ) {
        self.id = id
        self.source = source
        self.displayName = displayName
        self.company = company
        self.numbers = numbers
        self.updatedAt = updatedAt
        self.updatedAtText = updatedAtText
        self.entryJSON = entryJSON
    }
}

/// How an entry's JSON, as caller-ID answers show it, is made: the store
/// renders it whenever it writes the entry and keeps it in the entry's row,
/// so that a lookup copies it instead of reading and writing some twenty
/// fields (see docs/design/lookup-answers.md). The store knows nothing of the
/// format; the server, which owns the wire format, supplies it.
public struct EntryAnswerFormat: Sendable {
    /// Names the rendering. When it differs from the one the stored answers
    /// were made with, the store renders them all again.
    public let version: String
    public let render: @Sendable (PhonebookEntry) -> [UInt8]

    public init(version: String, render: @escaping @Sendable (PhonebookEntry) -> [UInt8]) {
        self.version = version
        self.render = render
    }

    /// A format whose version is a hash of what `render` makes of a sample
    /// entry with every field set: a change to the rendering changes the
    /// version by itself, with nothing to remember to bump.
    public init(render: @escaping @Sendable (PhonebookEntry) -> [UInt8]) {
        let sample = PhonebookEntry(
            id: "pbe_sample", accountId: "acc_sample", source: .synced, displayName: "Ä \"q\"\t\u{1}",
            firstName: "F", lastName: "L", company: "C", department: "D", title: "T", email: "e@x", note: "n\nn",
            numbers: [
                EntryNumber(kind: .mobile, raw: "+49 171 2345678", e164: "+491712345678", display: "0171 2345678", digits: "01712345678", lookupKeys: []),
                EntryNumber(kind: .other, raw: "12-34", e164: nil, display: "12-34", digits: "1234", lookupKeys: []),
            ],
            interfaceId: "ifc_sample", externalId: "x-1", copiedFrom: "pbe_origin",
            createdAt: Date(timeIntervalSince1970: 1_700_000_000.5), updatedAt: Date(timeIntervalSince1970: 1_800_000_000.25),
            scope: .shared, remoteVersion: "7")
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in render(sample) { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        self.init(version: String(hash, radix: 16), render: render)
    }
}

/// The numbers of an `EntryRowView` in their stored encoding, read only when
/// asked (ranking needs them for suffix matches alone); the store that made
/// the view supplies the reading, so the format stays the store's.
public struct StoredNumbers {
    public typealias Check = (UnsafeRawBufferPointer) -> Bool
    public let bytes: UnsafeRawBufferPointer
    let keptAsTyped: Check

    /// `anyKeptAsTyped`: whether the encoded numbers hold one without an E.164 form.
    public init(_ bytes: UnsafeRawBufferPointer, anyKeptAsTyped: @escaping Check) {
        self.bytes = bytes
        self.keptAsTyped = anyKeptAsTyped
    }

    /// Whether a number was kept as typed (it could not be read, so has no E.164 form),
    /// as `PhonebookEntry.hasUnparsedNumber` says of the same entry.
    public var anyKeptAsTyped: Bool { keptAsTyped(bytes) }
}
