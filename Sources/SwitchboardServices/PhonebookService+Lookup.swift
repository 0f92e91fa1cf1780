import Foundation
import SwitchboardCore
import SwitchboardPhone

/// The answer of a caller-ID lookup: the best entry, every candidate, how the
/// number was read, and why the entries matched.
public typealias LookupResult = LookupOutcome<PhonebookEntry>

/// Why the entries matched.
public enum LookupMatch: String, Sendable {
    /// Same number in E.164 form, however it was written.
    case e164
    /// Stored number could not be parsed; all digits equal.
    case digits
    /// Same national significant number under another country code.
    case national
    /// Only the last digits agree: the weakest match.
    case suffix
    /// A short number that is a user's internal extension.
    case `extension`
}

public struct LookupOutcome<Candidate> {
    public typealias Match = LookupMatch

    public var query: String
    /// How the number was read in the caller's region.
    public var normalized: PhoneNumber?
    public var match: Match?
    public var candidates: [Candidate]
    /// For internal extensions: the user it rings.
    public var user: User?
    /// More than one entry matched at the best level.
    public var ambiguous: Bool { candidates.count > 1 }
    public var best: Candidate? { candidates.first }
}

extension LookupOutcome: Sendable where Candidate: Sendable {}

/// What ranking needs of a candidate, and the suffix rule: implemented by
/// `PhonebookEntry` and by the store's row view, so that answers written
/// straight from database rows rank exactly as entries do.
public protocol LookupCandidate {
    var isManual: Bool { get }
    var updatedAt: Date { get }
    var id: String { get }
    /// Has a number that was kept as typed (no E.164): a weak suffix match is allowed for it.
    var hasUnparsedNumber: Bool { get }
}

extension PhonebookEntry: LookupCandidate {
    public var isManual: Bool { source == .manual }
    public var hasUnparsedNumber: Bool { numbers.contains { $0.e164 == nil } }
}

/// The steps of a caller-ID lookup, without the reads: which keys to try, in
/// which order, which found entries count, how they rank, and the result.
/// `PhonebookService.lookup` (async) and `lookupNow` (synchronous) both run
/// it, so the rules live here once.
struct LookupSteps {
    let query: String
    let region: String
    /// The number could be a user's internal extension (checked before any key).
    let extensionNumber: String?
    private let fast: LookupKey?
    private var parsed: (number: PhoneNumber, keys: [LookupKey], next: Int)?
    private var triedFast = false

    init(number text: String, region: String) throws {
        let query = text.trimmingASCIIWhitespace()
        guard !query.isEmpty, query.fits(characters: 64) else { throw SwitchboardError.invalid("number", "must be 1 to 64 characters") }
        self.query = query
        self.region = region
        extensionNumber = PhoneNumbers.looksLikeExtension(query)
        fast = PhoneNumbers.fastLookupKey(query)
    }

    /// Tries the number's keys from the strongest (E.164) to the weakest
    /// (last digits); "+digits" caller IDs try their exact key before the
    /// (costly) parse. Nil when every key has been tried.
    mutating func nextKey() -> LookupKey? {
        if !triedFast {
            triedFast = true
            if let fast { return fast }
        }
        if parsed == nil {
            let (number, parsedKeys) = PhoneNumbers.parsedLookupKeys(query, region: region)
            // Stored numbers that could not be parsed are matched by all their digits.
            var keys = parsedKeys
            if !number.digits.isEmpty, !keys.contains(where: { $0.kind == .digits }) {
                keys.append(LookupKey(.digits, number.digits))
            }
            keys.sort { $0.kind < $1.kind }
            keys.removeAll { $0 == fast }
            parsed = (number, keys, 0)
        }
        guard let p = parsed, p.next < p.keys.count else { return nil }
        parsed!.next += 1
        return p.keys[p.next]
    }

    /// What the entries found under `key` (the last `nextKey()`) mean: the
    /// result, ranked, or nil to try the next key.
    func result<C: LookupCandidate>(_ found: [C], for key: LookupKey) -> LookupOutcome<C>? {
        var found = found
        if key.kind == .suffix, parsed?.number.isValid == true {
            // A valid number only matches by its last digits a stored number that could
            // not be read: two valid numbers with the same ending are different numbers.
            found.removeAll { !$0.hasUnparsedNumber }
        }
        guard !found.isEmpty else { return nil }
        return LookupOutcome(
            query: query, normalized: parsed?.number, match: LookupMatch(rawValue: key.kind.rawValue),
            candidates: Self.rank(found), user: nil)
    }

    /// Nothing matched.
    func notFound<C>() -> LookupOutcome<C> {
        LookupOutcome(query: query, normalized: parsed?.number, match: nil, candidates: [], user: nil)
    }

    /// Ties prefer manual entries, then the most recently updated, then the
    /// id (so the answer is deterministic).
    static func rank<C: LookupCandidate>(_ entries: [C]) -> [C] {
        guard entries.count > 1 else { return entries }
        return entries.sorted { a, b in
            if a.isManual != b.isManual { return a.isManual }
            if a.updatedAt != b.updatedAt { return a.updatedAt > b.updatedAt }
            return a.id < b.id
        }
    }
}

extension PhonebookService {
    /// Finds who is calling (see `LookupSteps` for the rules).
    public func lookup(accountId: String, number text: String, region: String) async throws -> LookupResult {
        var steps = try LookupSteps(number: text, region: region)
        if let ext = steps.extensionNumber, let user = try await store.user(accountId: accountId, extensionNumber: ext) {
            return LookupResult(query: steps.query, normalized: nil, match: .extension, candidates: [], user: user)
        }
        while let key = steps.nextKey() {
            let found = try await store.entries(accountId: accountId, numberKey: key.description)
            if let result = steps.result(found, for: key) { return result }
        }
        return steps.notFound()
    }

    /// The same lookup without suspending, on the caller's thread, through
    /// `immediateLookups`, or nil when it has to wait: the number could be an
    /// extension (users are read through the store's async readers), or the
    /// store cannot read without waiting.
    /// Each matching row is handed to `capture` while it is read (as a view,
    /// valid only during the call), which keeps what it needs and returns a
    /// tag for it; the rows are ranked and filtered under the same rules as
    /// entries, and come back as `LookupRow`s carrying those tags.
    public func lookupNow(
        accountId: String, number text: String, region: String, capture: (EntryRowView) throws -> Int
    ) throws -> LookupOutcome<LookupRow>? {
        guard let immediate = immediateLookups else { return nil }
        var steps = try LookupSteps(number: text, region: region)
        if steps.extensionNumber != nil { return nil }
        var found: [LookupRow] = []
        while let key = steps.nextKey() {
            found.removeAll(keepingCapacity: true)
            let bySuffix = key.kind == .suffix
            let visited = try immediate.visitEntriesNow(accountId: accountId, numberKey: key.description) { row in
                found.append(LookupRow(row, tag: try capture(row), readingNumbers: bySuffix))
            }
            guard visited else { return nil }
            if let result = steps.result(found, for: key) { return result }
        }
        return steps.notFound()
    }
}

/// A matching row of `lookupNow`: what ranking needs, and the caller's tag for what it kept of the row.
public struct LookupRow: LookupCandidate {
    public var isManual: Bool
    public var updatedAt: Date
    public var id: String
    public var hasUnparsedNumber: Bool
    public var tag: Int

    /// `hasUnparsedNumber` is read from the row's numbers only when `readingNumbers`:
    /// it matters only for suffix matches (`LookupSteps.result`), and the other kinds
    /// of match, nearly all lookups, save decoding the numbers a second time.
    init(_ row: EntryRowView, tag: Int, readingNumbers: Bool) {
        isManual = row.source == .manual
        updatedAt = row.updatedAt
        id = row.id.string
        hasUnparsedNumber = readingNumbers && row.numbers.anyKeptAsTyped
        self.tag = tag
    }
}

extension String {
    /// Cheaper than Foundation's trimming for the common case (caller IDs have no padding).
    func trimmingASCIIWhitespace() -> String {
        let utf8 = self.utf8
        guard let first = utf8.first, let last = utf8.last,
            first == 0x20 || first == 0x09 || first == 0x0A || first == 0x0D || last == 0x20 || last == 0x09 || last == 0x0A || last == 0x0D
        else { return self }
        return trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
