import Foundation
import Synchronization
import SwitchboardCollation
import SwitchboardCore
import SwitchboardPhone

/// The company phonebook: manual and synced entries, alphabetical listing,
/// search, caller-ID lookup, copy, export.
public final class PhonebookService: Sendable {
    let store: any SwitchboardStore
    let clock: WallClock
    /// The store's immediate reads, if it has them (cast once: the cast costs a conformance lookup).
    public let immediateLookups: (any ImmediateLookups)?
    /// Per account: its region and the collation of its language.
    private let accounts = Mutex<[String: AccountContext]>([:])

    struct AccountContext: Sendable {
        var region: String
        var collator: CollationKeyMaker
    }

    public init(store: any SwitchboardStore, clock: WallClock = .system) {
        self.store = store
        self.clock = clock
        immediateLookups = store as? any ImmediateLookups
    }

    func context(_ accountId: String) async throws -> AccountContext {
        if let cached = accounts.withLock({ $0[accountId] }) { return cached }
        guard let account = try await store.account(id: accountId) else { throw SwitchboardError.notFound("account", id: accountId) }
        let context = AccountContext(region: account.region, collator: try CollationKeyMaker.forRegion(account.region))
        accounts.withLock { $0[accountId] = context }
        return context
    }

    /// Makes sure every account's sort keys come from this ICU's collator.
    /// Keys from another ICU version do not compare with new ones, which would
    /// break the list order and its cursors; after an upgrade they are rebuilt
    /// (at start, before the server listens). Returns the number of entries re-keyed.
    @discardableResult
    public func rebuildSortKeysIfNeeded(accountIds: [String]) async throws -> Int {
        var total = 0
        for accountId in accountIds {
            let collator = try await context(accountId).collator
            guard try await store.collationVersion(accountId: accountId) != collator.version else { continue }
            total += try await store.rebuildSortKeys(accountId: accountId, version: collator.version) { collator.key($0) }
        }
        return total
    }

    /// The region numbers are read in: the user's own, else the account's.
    public func region(accountId: String, userId: String?) async throws -> String {
        if let userId, let region = try await store.user(accountId: accountId, id: userId)?.region { return region }
        return try await context(accountId).region
    }

    // MARK: writes

    public func create(accountId: String, _ fields: PhonebookFields, region: String) async throws -> PhonebookEntry {
        let now = clock.now()
        var entry = PhonebookEntry(id: Identifier.make("pbe"), accountId: accountId, source: .manual, displayName: "", createdAt: now, updatedAt: now)
        try apply(fields, to: &entry, region: region)
        try await store.insertEntries([try await keyed(entry)])
        return entry
    }

    public func update(accountId: String, id: String, _ fields: PhonebookFields, region: String) async throws -> PhonebookEntry {
        var entry = try await manualEntry(accountId: accountId, id: id, action: "edited")
        try apply(fields, to: &entry, region: region)
        entry.updatedAt = clock.now()
        try await store.updateEntry(try await keyed(entry))
        return entry
    }

    public func delete(accountId: String, id: String) async throws {
        _ = try await manualEntry(accountId: accountId, id: id, action: "deleted")
        guard try await store.deleteEntry(accountId: accountId, id: id) else { throw SwitchboardError.notFound("phonebook entry", id: id) }
    }

    /// A manual entry made from a synced one, linked back to it; later syncs never touch it.
    public func copy(accountId: String, id: String) async throws -> PhonebookEntry {
        let original = try await get(accountId: accountId, id: id)
        let now = clock.now()
        var copy = original
        copy.id = Identifier.make("pbe")
        copy.source = .manual
        copy.interfaceId = nil
        copy.externalId = nil
        copy.copiedFrom = original.copiedFrom ?? original.id
        copy.createdAt = now
        copy.updatedAt = now
        try await store.insertEntries([try await keyed(copy)])
        return copy
    }

    /// Adds synced entries (also used to seed tests and benchmarks).
    public func insertSynced(accountId: String, interfaceId: String, records: [(externalId: String, fields: PhonebookFields)]) async throws -> [PhonebookEntry] {
        let contacts = records.map { SourceContact(externalId: $0.externalId, fields: $0.fields) }
        let made = try await syncedEntries(accountId: accountId, interfaceId: interfaceId, contacts: contacts, existing: [:])
        let entries = try made.map { try $0.get() }
        try await store.insertEntries(entries)
        return entries.map(\.entry)
    }

    /// Why a source row could not become an entry (its line is in the contact).
    public struct RowRejected: Error, Sendable {
        public var reason: String
    }

    /// Turns source contacts into synced entries, one result per contact, in
    /// order. `existing` maps external ids of entries that already exist to
    /// their stored rows (those are replaced in place, keeping their id). Reading numbers with
    /// libphonenumber (~20 µs each) dominates, so the work is spread over the cores.
    public func syncedEntries(accountId: String, interfaceId: String, contacts: [SourceContact], existing: [String: Int64]) async throws
        -> [Result<KeyedEntry, RowRejected>]
    {
        let context = try await context(accountId)
        let now = clock.now()
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, contacts.count / 250))
        let chunk = (contacts.count + workers - 1) / workers
        let parts = await withTaskGroup(of: (Int, [Result<KeyedEntry, RowRejected>]).self) { group in
            for part in 0..<workers {
                let slice = contacts[min(part * chunk, contacts.count)..<min((part + 1) * chunk, contacts.count)]
                group.addTask {
                    var made: [Result<KeyedEntry, RowRejected>] = []
                    made.reserveCapacity(slice.count)
                    for contact in slice {
                        var entry = PhonebookEntry(
                            id: "", accountId: accountId, source: .synced, displayName: "",
                            interfaceId: interfaceId, externalId: contact.externalId, createdAt: now, updatedAt: now,
                            scope: contact.scope, remoteVersion: contact.version)
                        do {
                            try self.apply(contact.fields, to: &entry, region: context.region)
                            made.append(.success(KeyedEntry(
                                entry: entry, sortKey: context.collator.key(entry.sortText), sourceHash: contact.contentHash,
                                seq: existing[contact.externalId])))
                        } catch let error as SwitchboardError {
                            made.append(.failure(RowRejected(reason: error.message)))
                        } catch {
                            made.append(.failure(RowRejected(reason: "\(error)")))
                        }
                    }
                    return (part, made)
                }
            }
            var parts: [[Result<KeyedEntry, RowRejected>]] = Array(repeating: [], count: workers)
            for await (part, made) in group { parts[part] = made }
            return parts
        }
        // New ids are made in source order, so they keep sorting by creation.
        var results = parts.flatMap { $0 }
        for i in results.indices {
            if case .success(var keyed) = results[i], keyed.seq == nil {
                keyed.entry.id = Identifier.make("pbe")
                results[i] = .success(keyed)
            }
        }
        return results
    }

    /// Forwards a user's calls to a manual entry (nil clears it). Synced entries are refused.
    public func setForwarding(accountId: String, userId: String, entryId: String?) async throws {
        if let entryId {
            let entry = try await get(accountId: accountId, id: entryId)
            if entry.source == .synced {
                throw SwitchboardError.conflict(
                    "entry \(entryId) is synced and cannot be a forwarding target; copy it with phonebook.copy and forward to the copy",
                    field: "entryId")
            }
        }
        try await store.setForwarding(accountId: accountId, userId: userId, entryId: entryId)
    }

    // MARK: reads

    public func get(accountId: String, id: String) async throws -> PhonebookEntry {
        guard let entry = try await store.entry(accountId: accountId, id: id) else { throw SwitchboardError.notFound("phonebook entry", id: id) }
        return entry
    }

    /// Alphabetical in the account's language; the cursor is opaque.
    public func list(accountId: String, filter: PhonebookFilter, cursor: String?, limit: Int) async throws -> Page<PhonebookEntry> {
        let after = try cursor.map { text -> PhonebookCursor in
            guard let decoded = Self.decodeCursor(text) else { throw SwitchboardError.invalid("cursor", "is not a cursor given by this listing") }
            return decoded
        }
        let rows = try await store.entries(accountId: accountId, filter: filter, after: after, limit: limit + 1)
        let page = Array(rows.prefix(limit))
        let next = rows.count > limit ? page.last.map { Self.encodeCursor(PhonebookCursor(sortKey: $0.sortKey, id: $0.entry.id)) } : nil
        return Page(items: page.map(\.entry), nextCursor: next)
    }

    /// Words (names, company, e-mail; prefixes, any order, accents ignored) or digits.
    public func search(accountId: String, query: String, filter: PhonebookFilter = .all, limit: Int) async throws -> [PhonebookEntry] {
        let letters = query.contains { $0.isLetter }
        let digits = query.filter { $0.isASCII && $0.isNumber }
        if !letters && !digits.isEmpty {
            return try await store.search(accountId: accountId, digits: String(digits), filter: filter, limit: limit)
        }
        // Split as the index's tokenizer does (on anything but letters and digits), so each word is one prefix term.
        let words = query.split { !($0.isLetter || $0.isNumber) }.map(String.init)
        guard !words.isEmpty else { throw SwitchboardError.invalid("q", "needs at least one letter or digit") }
        return try await store.search(accountId: accountId, words: words, filter: filter, limit: limit)
    }


    // MARK: helpers

    private func manualEntry(accountId: String, id: String, action: String) async throws -> PhonebookEntry {
        let entry = try await get(accountId: accountId, id: id)
        guard entry.source == .manual else {
            throw SwitchboardError.conflict("entry \(id) is synced from an interface and cannot be \(action); copy it with phonebook.copy first")
        }
        return entry
    }

    private func keyed(_ entry: PhonebookEntry) async throws -> KeyedEntry {
        KeyedEntry(entry: entry, sortKey: try await context(entry.accountId).collator.key(entry.sortText))
    }

    /// Checks fields as `create` would, without storing anything (write-through checks
    /// before it asks the remote system to change).
    public func validate(_ fields: PhonebookFields, region: String) throws {
        var scratch = PhonebookEntry(id: "", accountId: "", source: .synced, displayName: "", createdAt: clock.now(), updatedAt: clock.now())
        try apply(fields, to: &scratch, region: region)
    }

    private func apply(_ fields: PhonebookFields, to entry: inout PhonebookEntry, region: String) throws {
        func text(_ value: String?, _ field: String, max: Int = 200) throws -> String? {
            guard let value = value?.nonEmpty else { return nil }
            guard value.fits(characters: max) else { throw SwitchboardError.invalid(field, "longer than \(max) characters") }
            return value
        }
        if let v = fields.firstName { entry.firstName = try text(v, "firstName") }
        if let v = fields.lastName { entry.lastName = try text(v, "lastName") }
        if let v = fields.company { entry.company = try text(v, "company") }
        if let v = fields.department { entry.department = try text(v, "department") }
        if let v = fields.title { entry.title = try text(v, "title") }
        if let v = fields.note { entry.note = try text(v, "note", max: 4_000) }
        if let v = fields.email { entry.email = try v.nonEmpty.map { try Validate.email($0) } }
        if let numbers = fields.numbers {
            guard numbers.count <= 20 else { throw SwitchboardError.invalid("numbers", "at most 20 numbers") }
            entry.numbers = try numbers.enumerated().map { i, n in
                guard let t = n.text.nonEmpty, t.fits(characters: 64) else { throw SwitchboardError.invalid("numbers[\(i)].number", "must be 1 to 64 characters") }
                return PhoneNumbers.entryNumber(t, kind: n.kind, region: region)
            }
        }
        if let given = fields.displayName?.nonEmpty {
            entry.displayName = try text(given, "name") ?? given
        } else if fields.displayName != nil || entry.displayName.isEmpty {
            let derived = PhonebookFields(firstName: entry.firstName, lastName: entry.lastName, company: entry.company).resolvedDisplayName
            entry.displayName = try text(derived, "name") ?? ""
        }
        if entry.displayName.isEmpty {
            throw SwitchboardError.invalid("name", "an entry needs a name, a first or last name, or a company")
        }
    }

    static func encodeCursor(_ cursor: PhonebookCursor) -> String {
        Secrets.base64url(cursor.sortKey) + "." + cursor.id
    }

    static func decodeCursor(_ text: String) -> PhonebookCursor? {
        guard let dot = text.lastIndex(of: ".") else { return nil }
        var base64 = String(text[..<dot]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        let id = String(text[text.index(after: dot)...])
        guard let data = Data(base64Encoded: base64), !data.isEmpty, id.hasPrefix("pbe_") else { return nil }
        return PhonebookCursor(sortKey: Array(data), id: id)
    }
}
