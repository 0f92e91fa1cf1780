import Foundation
import SwitchboardConnectors
import SwitchboardCore

/// Contacts: the records of connected systems, mirrored locally as synced
/// phonebook entries (PRODUCT.md §2), and changes written through to them.
///
/// There is no second copy: a system's contact *is* its synced entry (with the
/// system's id, scope and version), so caller ID, the phonebook and the
/// contact methods always agree. A change is made in the system first; only
/// what the system accepted is stored, so a refusal changes nothing here.
public struct ContactsService: Sendable {
    let store: any SwitchboardStore
    let interfaces: InterfaceService
    let phonebook: PhonebookService

    public init(store: any SwitchboardStore, interfaces: InterfaceService, phonebook: PhonebookService) {
        self.store = store
        self.interfaces = interfaces
        self.phonebook = phonebook
    }

    // MARK: reads

    public func list(accountId: String, interfaceId: String?, scope: ContactScope?, cursor: String?, limit: Int) async throws -> Page<PhonebookEntry> {
        if let interfaceId { _ = try await interfaces.get(accountId: accountId, id: interfaceId) }  // another account's id: not found
        return try await phonebook.list(
            accountId: accountId, filter: PhonebookFilter(source: .synced, interfaceId: interfaceId, scope: scope), cursor: cursor, limit: limit)
    }

    public func get(accountId: String, id: String) async throws -> PhonebookEntry {
        let entry = try await phonebook.get(accountId: accountId, id: id)
        guard entry.source == .synced else { throw SwitchboardError.notFound("contact", id: id) }
        return entry
    }

    public func search(accountId: String, query: String, interfaceId: String?, limit: Int) async throws -> [PhonebookEntry] {
        try await phonebook.search(accountId: accountId, query: query, filter: PhonebookFilter(source: .synced, interfaceId: interfaceId), limit: limit)
    }

    // MARK: write-through

    /// Creates the contact in the interface's system (shared where the system has scopes), then stores it.
    public func create(accountId: String, interfaceId: String, _ fields: PhonebookFields, region: String) async throws -> PhonebookEntry {
        try phonebook.validate(fields, region: region)
        let (interface, writer) = try await writable(accountId: accountId, interfaceId: interfaceId)
        let created = try await remote(interface) { try await writer.create($0, fields) }
        return try await store(created, interface: interface, replacing: nil)
    }

    /// Changes the fields given (others stay) in the system, then here.
    public func update(accountId: String, id: String, _ changes: PhonebookFields, region: String) async throws -> PhonebookEntry {
        let current = try await get(accountId: accountId, id: id)
        let fields = PhonebookFields(current).merging(changes)
        try phonebook.validate(fields, region: region)
        let (interface, writer, externalId) = try await writable(current)
        let updated = try await remote(interface) {
            try await writer.update($0, externalId: externalId, version: current.remoteVersion, scope: current.scope, fields)
        }
        return try await store(updated, interface: interface, replacing: current)
    }

    /// Deletes the contact in the system, then its entry.
    public func delete(accountId: String, id: String) async throws {
        let current = try await get(accountId: accountId, id: id)
        let (interface, writer, externalId) = try await writable(current)
        try await remote(interface) { try await writer.delete($0, externalId: externalId, version: current.remoteVersion) }
        _ = try await store.deleteEntry(accountId: accountId, id: id)
    }

    // MARK: helpers

    private func writable(accountId: String, interfaceId: String) async throws -> (Interface, any ContactWriter) {
        let interface = try await interfaces.get(accountId: accountId, id: interfaceId)
        guard interface.state == .active else {
            throw SwitchboardError.conflict("interface \(interfaceId) is \(interface.state.rawValue); contacts are written only through active interfaces")
        }
        guard let writer = Connectors.contactWriter(system: interface.system) else {
            throw SwitchboardError.conflict("\(interface.system) interfaces cannot write contacts (catalogue capability contactsWrite)")
        }
        return (interface, writer)
    }

    private func writable(_ entry: PhonebookEntry) async throws -> (Interface, any ContactWriter, String) {
        guard let interfaceId = entry.interfaceId, let externalId = entry.externalId else {
            throw SwitchboardError.conflict("contact \(entry.id) has no record in a system to write to")
        }
        guard entry.scope != .internal else {
            throw SwitchboardError.conflict("contact \(entry.id) is in the system's own directory of its users (scope internal), which is read-only")
        }
        let (interface, writer) = try await writable(accountId: entry.accountId, interfaceId: interfaceId)
        return (interface, writer, externalId)
    }

    /// Runs a remote change. Rejected credentials put the interface in `needs_reauth`
    /// (as a failed sync does); the error goes to the caller in the system's words.
    @discardableResult
    private func remote<T: Sendable>(_ interface: Interface, _ body: (ConnectorContext) async throws -> T) async throws -> T {
        do {
            return try await body(try interfaces.context(interface))
        } catch let error as ConnectorError where error.kind == .unauthorized {
            try? await interfaces.setHealth(interface, .needsReauth, reason: error.message)
            throw error
        }
    }

    /// Stores what the system now holds as the contact's synced entry.
    private func store(_ contact: SourceContact, interface: Interface, replacing current: PhonebookEntry?) async throws -> PhonebookEntry {
        let made = try await phonebook.syncedEntries(
            accountId: interface.accountId, interfaceId: interface.id, contacts: [contact], existing: [:])
        guard case .success(var keyed)? = made.first else {
            // The system accepted it but answers with something we cannot read: keep its record, say so.
            let reason = if case .failure(let rejected)? = made.first { rejected.reason } else { "no record" }
            throw SwitchboardError.conflict("\(interface.system) stored the contact, but its answer could not be read (\(reason)); the next sync brings it in")
        }
        if let current {
            keyed.entry.id = current.id
            keyed.entry.createdAt = current.createdAt
            try await store.updateEntry(keyed)
        } else {
            try await store.insertEntries([keyed])
        }
        return keyed.entry
    }
}
