import Foundation
import JSONRPC
import SwitchboardCore
import SwitchboardPhone
import SwitchboardServices

extension Methods {
    static func phonebook(_ app: Application) -> [MethodSpec] {
        let book = app.phonebook
        let regions = LookupRegions(book)
        return [
            MethodSpec("phonebook.list", .anyRole) { params, call in
                try params.expectOnly(Params.pagingFields.union(["source"]))
                let source: PhonebookEntry.Source? = switch try params.optionalEnum("source", SourceFilter.self) ?? .all {
                case .all: nil
                case .manual: .manual
                case .synced: .synced
                }
                let limit = Int(try params.optionalInt("limit", in: 1...1_000) ?? 100)
                let page = try await book.list(
                    accountId: call.principal.accountId, filter: PhonebookFilter(source: source),
                    cursor: try params.optionalString("cursor", maxLength: 2_000), limit: limit)
                return page.json(JSONValue.entry)
            },
            MethodSpec("phonebook.get", .anyRole) { params, call in
                try params.expectOnly(["id"])
                return .entry(try await book.get(accountId: call.principal.accountId, id: try params.string("id", maxLength: 64)))
            },
            MethodSpec("phonebook.search", .anyRole) { params, call in
                try params.expectOnly(["q", "limit"])
                let limit = Int(try params.optionalInt("limit", in: 1...200) ?? 20)
                let items = try await book.search(accountId: call.principal.accountId, query: try params.nonEmptyString("q", maxLength: 200), limit: limit)
                return ["items": .array(items.map(JSONValue.entry))]
            },
            // Answered on the connection's event loop when the region is known and the
            // number is not a possible extension (see `InlineResponder`); else here.
            MethodSpec("phonebook.lookup", .anyRole, inline: { params, call, response in
                try params.expectOnly(Params.lookupFields)
                let accountId = call.principal.accountId
                guard let (region, table) = LookupMemo.current(in: call.session, for: call.principal, regions: regions, index: app.callerIDIndex)
                else { return nil }
                let number = try params.string("number", maxLength: 64)
                // A caller ID in E.164 that the caller-ID index keeps: no database read. (The index
                // takes exactly the "+digits" numbers `PhoneNumbers.fastLookupKey` takes.)
                if let table, table.withPart(e164: number, { RowAnswers.append(matchPart: $0, e164: number, region: region, to: &response) }) != nil {
                    app.callerIDIndex?.countAnswered()
                    return .written
                }
                // Written straight from the matching rows: no entries are built.
                let rows = RowAnswers()
                guard let result = try book.lookupNow(accountId: accountId, number: number, region: region, capture: rows.capture)
                else { return nil }
                return .value(rows.answer(result, region: region))
            }) { params, call in
                try params.expectOnly(Params.lookupFields)
                let accountId = call.principal.accountId
                let region = try await regions.region(accountId: accountId, userId: call.principal.userId)
                let result = try await book.lookup(accountId: accountId, number: try params.string("number", maxLength: 64), region: region)
                return .lookup(result, region: region)
            },
            MethodSpec("phonebook.create", .admins) { params, call in
                try params.expectOnly(Params.entryFields)
                let region = try await book.region(accountId: call.principal.accountId, userId: call.principal.userId)
                return .entry(try await book.create(accountId: call.principal.accountId, try params.phonebookFields(), region: region))
            },
            MethodSpec("phonebook.update", .admins) { params, call in
                try params.expectOnly(Params.entryFields.union(["id"]))
                let region = try await book.region(accountId: call.principal.accountId, userId: call.principal.userId)
                return .entry(try await book.update(
                    accountId: call.principal.accountId, id: try params.string("id", maxLength: 64), try params.phonebookFields(), region: region))
            },
            MethodSpec("phonebook.delete", .admins) { params, call in
                try params.expectOnly(["id"])
                let id = try params.string("id", maxLength: 64)
                try await book.delete(accountId: call.principal.accountId, id: id)
                return ["id": .string(id), "deleted": true]
            },
            MethodSpec("phonebook.copy", .admins) { params, call in
                try params.expectOnly(["id"])
                return .entry(try await book.copy(accountId: call.principal.accountId, id: try params.string("id", maxLength: 64)))
            },
            MethodSpec("phonebook.export", .anyRole) { params, call in
                try params.expectOnly(["format", "cursor", "limit"])
                let format = try params.requiredEnum("format", PhonebookService.ExportFormat.self)
                let limit = Int(try params.optionalInt("limit", in: 1...5_000) ?? 1_000)
                let chunk = try await book.export(
                    accountId: call.principal.accountId, format: format, cursor: try params.optionalString("cursor", maxLength: 2_000), limit: limit)
                return [
                    "format": .string(format.rawValue),
                    "contentType": .string(format == .csv ? "text/csv; charset=utf-8" : "text/vcard; charset=utf-8"),
                    "data": .string(chunk.data), "count": .int(Int64(chunk.count)), "nextCursor": JSONValue(chunk.nextCursor),
                ]
            },
            MethodSpec("users.setForwarding", .admins) { params, call in
                try params.expectOnly(["userId", "entryId"])
                let userId = try params.string("userId", maxLength: 64)
                let entryId = try params.optionalString("entryId", maxLength: 64)
                try await book.setForwarding(accountId: call.principal.accountId, userId: userId, entryId: entryId)
                return ["userId": .string(userId), "entryId": JSONValue(entryId)]
            },
        ]
    }

    enum SourceFilter: String, CaseIterable {
        case all, manual, synced
    }
}

extension Params {
    /// `phonebook.lookup`'s one field, kept rather than built per call (the PBX's hottest request).
    static let lookupFields: Set<String> = ["number"]

    /// The params that carry an entry's (or a contact's) fields.
    static let entryFields: Set<String> = ["name", "firstName", "lastName", "company", "department", "title", "email", "note", "numbers"]

    /// Entry fields; `numbers` is `[{type, number}]` with type phone|mobile|home|fax|other (default phone).
    func phonebookFields() throws(RPCError) -> PhonebookFields {
        var numbers: [(kind: EntryNumber.Kind, text: String)]? = nil
        if let items = try optionalObjectArray("numbers", maxCount: 20) {
            numbers = []
            for item in items {
                try item.expectOnly(["type", "number"])
                numbers?.append((try item.optionalEnum("type", EntryNumber.Kind.self) ?? .phone, try item.string("number", maxLength: 64)))
            }
        }
        return PhonebookFields(
            displayName: try optionalString("name", maxLength: 200), firstName: try optionalString("firstName", maxLength: 200),
            lastName: try optionalString("lastName", maxLength: 200), company: try optionalString("company", maxLength: 200),
            department: try optionalString("department", maxLength: 200), title: try optionalString("title", maxLength: 200),
            email: try optionalString("email", maxLength: 254), note: try optionalString("note", maxLength: 4_000), numbers: numbers)
    }
}

extension JSONValue {
    /// An entry as `phonebook.get` returns it. Serialised directly (no tree):
    /// lists, searches and caller-ID answers carry many of them.
    static func entry(_ e: PhonebookEntry) -> JSONValue {
        .fragment(JSONFragment { $0.entry(e) })
    }

    static func lookup(_ r: LookupResult, region: String) -> JSONValue {
        .fragment(JSONFragment { $0.lookup(r, region: region, best: { w, e in w.entry(e) }, candidate: { w, e in w.candidate(e) }) })
    }

    /// At most this many candidates are listed; `candidateCount` says how many matched.
    static let lookupCandidateLimit = 100
}

extension JSONStreamWriter {
    /// A caller-ID answer; `best` writes the best candidate in full, `candidate` one candidate's summary.
    mutating func lookup<C>(
        _ r: LookupOutcome<C>, region: String, best: (inout JSONStreamWriter, C) -> Void, candidate: (inout JSONStreamWriter, C) -> Void
    ) {
        object { w in
            w.lookupMatchFields(r, best: best, candidate: candidate)
            w.lookupNormalized(query: r.query, normalized: r.normalized, match: r.match, region: region)
        }
    }

    /// The fields of a caller-ID answer that depend only on the entries that
    /// matched (what `CallerIDIndex` keeps, as an object of their own).
    mutating func lookupMatchFields<C>(
        _ r: LookupOutcome<C>, best: (inout JSONStreamWriter, C) -> Void, candidate: (inout JSONStreamWriter, C) -> Void
    ) {
        key("entry")
        if let entry = r.best { best(&self, entry) } else { null() }
        field("user", r.user.map(JSONValue.user) ?? .null)
        field("match", r.match?.rawValue)
        field("ambiguous", r.ambiguous)
        field("candidateCount", Int64(r.candidates.count))
        // Enough to tell the entries apart and fetch one; the best is also `entry`, in
        // full, so a caller-ID answer does not carry the same entry twice.
        field("candidates", array: r.candidates.prefix(JSONValue.lookupCandidateLimit), candidate)
    }

    /// The field of a caller-ID answer that says how the number was read.
    mutating func lookupNormalized(query: String, normalized: PhoneNumber?, match: LookupMatch?, region: String) {
        field("normalized", object: { w in
            w.field("input", query)
            w.field("region", region)
            if let n = normalized {
                w.field("e164", n.e164)
                w.field("national", n.national)
                w.field("international", n.international)
                w.field("numberRegion", n.region)
                w.field("type", n.type.rawValue)
                w.field("valid", n.isValid)
                w.field("extension", n.extension)
            } else if match == .e164 {
                w.field("e164", query)  // already E.164: matched without parsing
            }
        })
    }
}

/// What a lookup candidate's summary is written from: a `PhonebookEntry`, or
/// the view of its row a caller-ID answer reads (`EntryRowView`). One field
/// list (`JSONStreamWriter.candidate`) serves both, so both give the same bytes.
protocol CandidateJSONSource {
    associatedtype Text: JSONText
    var id: Text { get }
    var source: PhonebookEntry.Source { get }
    var displayName: Text { get }
    var company: Text? { get }
    var updatedAtText: RFC3339Text { get }
}

extension PhonebookEntry: CandidateJSONSource {
    var updatedAtText: RFC3339Text { RFC3339.text(updatedAt) }
}

extension EntryRowView: CandidateJSONSource {}

extension EntryAnswerFormat {
    /// The entry JSON of caller-ID answers (`JSONStreamWriter.entry`), which the
    /// store keeps with each entry; its version follows the rendering.
    static let phonebook = EntryAnswerFormat { entry in JSONFragment { $0.entry(entry) }.bytes }
}

extension UTF8Text: JSONText {
    public func writeJSON(into writer: inout JSONStreamWriter) { writer.string(utf8: bytes) }
}

extension RFC3339Text: JSONText {
    public func writeJSON(into writer: inout JSONStreamWriter) { withUTF8 { writer.string(utf8: $0) } }
}

extension JSONStreamWriter {
    /// An entry in full (written once per write: caller-ID answers copy what the store keeps).
    mutating func entry(_ e: PhonebookEntry) {
        object { w in
            w.field("id", text: e.id)
            w.field("source", e.source.rawValue)
            w.field("name", text: e.displayName)
            w.field("firstName", text: e.firstName)
            w.field("lastName", text: e.lastName)
            w.field("company", text: e.company)
            w.field("department", text: e.department)
            w.field("title", text: e.title)
            w.field("email", text: e.email)
            w.field("note", text: e.note)
            w.key("numbers")
            w.beginArray()
            for n in e.numbers {
                w.object { w in
                    w.field("type", n.kind.rawValue)
                    w.field("number", text: n.raw)
                    w.field("e164", text: n.e164)
                    w.field("display", text: n.display)
                }
            }
            w.endArray()
            w.field("interfaceId", text: e.interfaceId)
            w.field("externalId", text: e.externalId)
            if e.source == .synced {
                // The contact in its system: whose it is there, and its version (what write-through sends back).
                w.field("scope", e.scope?.rawValue)
                w.field("remoteVersion", text: e.remoteVersion)
            }
            w.field("copiedFrom", text: e.copiedFrom)
            w.field("createdAt", text: RFC3339.text(e.createdAt))
            w.field("updatedAt", text: e.updatedAtText)
        }
    }

    /// A lookup candidate's summary.
    mutating func candidate<E: CandidateJSONSource>(_ e: E) {
        object { w in
            w.field("id", text: e.id)
            w.field("source", e.source.rawValue)
            w.field("name", text: e.displayName)
            w.field("company", text: e.company)
            w.field("updatedAt", text: e.updatedAtText)
        }
    }
}

/// Writes the rows of a caller-ID lookup answered on the event loop as
/// they are read (a row is only readable while it is visited): each one's
/// full JSON (the answer the store keeps with it, copied) and summary, then
/// the answer from those bytes, all in one buffer. Also renders what the
/// caller-ID index keeps (`withMatchPart`), from the same bytes by the same code.
final class RowAnswers: CallerIDAnswerRenderer {
    private var scratch = JSONStreamWriter(capacity: 4_096)
    /// By `LookupRow.tag`: where each row's full JSON and summary are.
    private var written: [(full: Range<Int>, summary: Range<Int>)] = []

    func capture(_ row: EntryRowView) -> Int {
        let fullStart = scratch.byteCount
        scratch.startStandaloneValue()
        scratch.serialized(row.entryJSON.bytes)
        let summaryStart = scratch.byteCount
        scratch.startStandaloneValue()
        scratch.candidate(row)
        written.append((fullStart..<summaryStart, summaryStart..<scratch.byteCount))
        return written.count - 1
    }

    func answer(_ r: LookupOutcome<LookupRow>, region: String) -> JSONValue {
        let start = scratch.byteCount
        scratch.startStandaloneValue()
        scratch.lookup(r, region: region, best: best, candidate: candidate)
        return .fragment(scratch.fragment(start..<scratch.byteCount))
    }

    /// A captured row in full, and as a candidate's summary (copies of what `capture` wrote).
    private func best(_ w: inout JSONStreamWriter, _ row: LookupRow) { w.serializedCopy(of: written[row.tag].full) }
    private func candidate(_ w: inout JSONStreamWriter, _ row: LookupRow) { w.serializedCopy(of: written[row.tag].summary) }

    func withMatchPart<R>(_ r: LookupOutcome<LookupRow>, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let start = scratch.byteCount
        scratch.startStandaloneValue()
        scratch.object { w in w.lookupMatchFields(r, best: best, candidate: candidate) }
        defer {
            scratch.removeAll()
            written.removeAll(keepingCapacity: true)
        }
        return scratch.withBytes(start..<scratch.byteCount, body)
    }

    /// Appends a caller-ID answer from the index: the entries' part it keeps (`withMatchPart`)
    /// and the part of this request. The same bytes as `answer` for the same rows.
    static func append(matchPart: UnsafeRawBufferPointer, e164 number: String, region: String, to out: inout [UInt8]) {
        JSONStreamWriter.appendObject(matchPart, extendedBy: { w in w.lookupNormalized(query: number, normalized: nil, match: .e164, region: region) }, to: &out)
    }
}
