import SwitchboardCore
import SwitchboardPhone

/// The answer of a caller-ID lookup: the best entry, every candidate, how the
/// number was read, and why the entries matched.
public struct LookupResult: Sendable {
    public enum Match: String, Sendable {
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

    public var query: String
    /// How the number was read in the caller's region.
    public var normalized: PhoneNumber?
    public var match: Match?
    public var candidates: [PhonebookEntry]
    /// For internal extensions: the user it rings.
    public var user: User?
    /// More than one entry matched at the best level.
    public var ambiguous: Bool { candidates.count > 1 }
    public var best: PhonebookEntry? { candidates.first }
}

extension PhonebookService {
    /// Finds who is calling. Tries the number's keys from the strongest
    /// (E.164) to the weakest (last digits) and stops at the first kind that
    /// matches; ties prefer manual entries, then the most recently updated,
    /// then the id (so the answer is deterministic).
    public func lookup(accountId: String, number text: String, region: String) async throws -> LookupResult {
        let query = text.trimmingASCIIWhitespace()
        guard !query.isEmpty, query.count <= 64 else { throw SwitchboardError.invalid("number", "must be 1 to 64 characters") }

        if let ext = PhoneNumbers.looksLikeExtension(query), let user = try await store.user(accountId: accountId, extensionNumber: ext) {
            return LookupResult(query: query, normalized: nil, match: .extension, candidates: [], user: user)
        }
        let keys = PhoneNumbers.lookupKeys(query, region: region)
        if let fast = keys.fast {
            let found = try await store.entries(accountId: accountId, numberKey: fast.description)
            if !found.isEmpty {
                return LookupResult(query: query, normalized: nil, match: .e164, candidates: Self.rank(found), user: nil)
            }
        }
        let (number, parsedKeys) = keys.parsed()
        // Stored numbers that could not be parsed are matched by all their digits.
        var candidates = parsedKeys
        if !number.digits.isEmpty, !candidates.contains(where: { $0.kind == .digits }) {
            candidates.append(LookupKey(.digits, number.digits))
        }
        candidates.sort { $0.kind < $1.kind }
        for key in candidates where key != keys.fast {
            var found = try await store.entries(accountId: accountId, numberKey: key.description)
            if key.kind == .suffix, number.isValid {
                // A valid number only matches by its last digits a stored number that could
                // not be read: two valid numbers with the same ending are different numbers.
                found = found.filter { $0.numbers.contains { $0.e164 == nil } }
            }
            if !found.isEmpty {
                return LookupResult(query: query, normalized: number, match: LookupResult.Match(rawValue: key.kind.rawValue), candidates: Self.rank(found), user: nil)
            }
        }
        return LookupResult(query: query, normalized: number, match: nil, candidates: [], user: nil)
    }

    static func rank(_ entries: [PhonebookEntry]) -> [PhonebookEntry] {
        entries.sorted { a, b in
            if a.source != b.source { return a.source == .manual }
            if a.updatedAt != b.updatedAt { return a.updatedAt > b.updatedAt }
            return a.id < b.id
        }
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

import Foundation
