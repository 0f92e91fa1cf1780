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

/// A stored phonebook entry's fields, borrowed from the database row the
/// store is reading (see `ImmediateLookups.visitEntriesNow`): what a caller-ID
/// answer is written from without building a `PhonebookEntry`. Each field
/// reads exactly as the same field of the `PhonebookEntry` the store would
/// make of the row. Valid only during the visit.
public struct EntryRowView {
    public var id: UTF8Text
    public var source: PhonebookEntry.Source
    public var displayName: UTF8Text
    public var firstName: UTF8Text?
    public var lastName: UTF8Text?
    public var company: UTF8Text?
    public var department: UTF8Text?
    public var title: UTF8Text?
    public var email: UTF8Text?
    public var note: UTF8Text?
    public var numbers: StoredNumbers
    public var interfaceId: UTF8Text?
    public var externalId: UTF8Text?
    public var copiedFrom: UTF8Text?
    /// For ranking; the answer shows `updatedAtText`.
    public var updatedAt: Date
    /// `RFC3339.text` of the entry's creation and update dates (the store may
    /// make them from the row's text directly, without a `Date`).
    public var createdAtText: RFC3339Text
    public var updatedAtText: RFC3339Text
    public var scope: ContactScope?
    public var remoteVersion: UTF8Text?

    public init(
        id: UTF8Text, source: PhonebookEntry.Source, displayName: UTF8Text, firstName: UTF8Text?, lastName: UTF8Text?,
        company: UTF8Text?, department: UTF8Text?, title: UTF8Text?, email: UTF8Text?, note: UTF8Text?, numbers: StoredNumbers,
        interfaceId: UTF8Text?, externalId: UTF8Text?, copiedFrom: UTF8Text?, createdAtText: RFC3339Text, updatedAt: Date,
        updatedAtText: RFC3339Text, scope: ContactScope?, remoteVersion: UTF8Text?
    ) {
        self.id = id
        self.source = source
        self.displayName = displayName
        self.firstName = firstName
        self.lastName = lastName
        self.company = company
        self.department = department
        self.title = title
        self.email = email
        self.note = note
        self.numbers = numbers
        self.interfaceId = interfaceId
        self.externalId = externalId
        self.copiedFrom = copiedFrom
        self.createdAtText = createdAtText
        self.updatedAt = updatedAt
        self.updatedAtText = updatedAtText
        self.scope = scope
        self.remoteVersion = remoteVersion
    }
}

/// One stored number of an `EntryRowView` (the fields an answer shows).
public struct StoredNumberView {
    public var kind: EntryNumber.Kind
    public var raw: UTF8Text
    /// Nil when the number was kept as typed.
    public var e164: UTF8Text?
    public var display: UTF8Text

    public init(kind: EntryNumber.Kind, raw: UTF8Text, e164: UTF8Text?, display: UTF8Text) {
        self.kind = kind
        self.raw = raw
        self.e164 = e164
        self.display = display
    }
}

/// The numbers of an `EntryRowView` in their stored encoding; the store that
/// made the view supplies the decoder, so the format stays the store's.
public struct StoredNumbers {
    public typealias Decoder = (UnsafeRawBufferPointer, (StoredNumberView) -> Void) -> Void
    public let bytes: UnsafeRawBufferPointer
    let decode: Decoder

    public init(_ bytes: UnsafeRawBufferPointer, decode: @escaping Decoder) {
        self.bytes = bytes
        self.decode = decode
    }

    /// Every number, in stored order (numbers the store would skip are skipped).
    public func forEach(_ body: (StoredNumberView) -> Void) {
        decode(bytes, body)
    }
}
