/// sipgate's contacts in list order (the order they were added ⚠: sipgate documents none), with
/// the indexes a 200,000-contact benchmark needs: id → position, number → ids.
///
/// The number index is kept up to date with each change (built lazily once after a bulk seed),
/// so "create, then look the contact up by number" costs no rebuild. Positions shift when a
/// contact is removed, so the id → position map is rebuilt lazily after a removal.
struct SipgateDataset: Sendable {
    private(set) var contacts: [SipgateContact] = []
    private var positions: [String: Int]? = [:]
    private var numberIndex: [String: Set<String>]? = [:]
    private var serial = 0

    var count: Int { contacts.count }

    /// Adds the contact at the end; an empty id is replaced by the next generated one, an
    /// existing id replaces that contact in place.
    mutating func insert(_ contact: SipgateContact) -> String {
        var contact = contact
        if contact.id.isEmpty { contact.id = nextID() }
        if position(of: contact.id) != nil {
            _ = replace(contact)
            return contact.id
        }
        contacts.append(contact)
        positions?[contact.id] = contacts.count - 1
        index(contact, adding: true)
        return contact.id
    }

    /// Appends `count` generated contacts: "Contact 00000001", "+4930" + 8 digits, one email.
    mutating func seed(_ count: Int, scope: SipgateContact.Scope) -> [String] {
        contacts.reserveCapacity(contacts.count + count)
        var ids: [String] = []
        ids.reserveCapacity(count)
        let start = contacts.count
        for offset in 0..<count {
            let padded = Self.zeroPadded(start + offset + 1, width: 8)
            let contact = SipgateContact(
                id: nextID(), name: "Contact " + padded, family: "Contact", given: padded,
                emails: [.init(email: "contact" + padded + "@example.com", type: ["work"])],
                numbers: [.init(number: "+4930" + padded, type: ["work"])],
                organization: [["Simulated GmbH"]], scope: scope)
            contacts.append(contact)
            ids.append(contact.id)
        }
        // Both maps are rebuilt on first use: cheaper than 200,000 dictionary inserts now.
        positions = nil
        numberIndex = nil
        return ids
    }

    mutating func contact(_ id: String) -> SipgateContact? {
        position(of: id).map { contacts[$0] }
    }

    /// Replaces the contact with the same id; false when there is none.
    mutating func replace(_ contact: SipgateContact) -> Bool {
        guard let index = position(of: contact.id) else { return false }
        self.index(contacts[index], adding: false)
        contacts[index] = contact
        self.index(contact, adding: true)
        return true
    }

    mutating func remove(_ id: String) -> Bool {
        guard let index = position(of: id) else { return false }
        self.index(contacts[index], adding: false)
        contacts.remove(at: index)
        positions = nil
        return true
    }

    mutating func removeAll() {
        contacts.removeAll()
        positions = [:]
        numberIndex = [:]
    }

    /// A `limit`-sized slice from `offset`, with the total the page is out of.
    func page(offset: Int, limit: Int) -> (items: [SipgateContact], total: Int) {
        guard offset < contacts.count else { return ([], contacts.count) }
        return (Array(contacts[offset..<min(contacts.count, offset + limit)]), contacts.count)
    }

    /// The contacts having any of `numbers` (each once, in list order), paged like `page`.
    mutating func page(matching numbers: [String], offset: Int, limit: Int) -> (items: [SipgateContact], total: Int) {
        if numberIndex == nil { numberIndex = buildNumberIndex() }
        let ids = numbers.reduce(into: Set<String>()) { $0.formUnion(numberIndex?[$1] ?? []) }
        let hits = ids.compactMap { position(of: $0) }.sorted()
        guard offset < hits.count else { return ([], hits.count) }
        return (hits[offset..<min(hits.count, offset + limit)].map { contacts[$0] }, hits.count)
    }

    private mutating func position(of id: String) -> Int? {
        if positions == nil {
            var rebuilt: [String: Int] = [:]
            rebuilt.reserveCapacity(contacts.count)
            for (index, contact) in contacts.enumerated() { rebuilt[contact.id] = index }
            positions = rebuilt
        }
        return positions?[id]
    }

    /// Adds the contact's numbers to (or removes them from) the number index, if it is built.
    private mutating func index(_ contact: SipgateContact, adding: Bool) {
        guard numberIndex != nil else { return }
        for number in Set(contact.numbers.map(\.number)) {
            if adding {
                numberIndex?[number, default: []].insert(contact.id)
            } else {
                numberIndex?[number]?.remove(contact.id)
                if numberIndex?[number]?.isEmpty == true { numberIndex?[number] = nil }
            }
        }
    }

    private func buildNumberIndex() -> [String: Set<String>] {
        var index: [String: Set<String>] = [:]
        for contact in contacts {
            for number in contact.numbers { index[number.number, default: []].insert(contact.id) }
        }
        return index
    }

    /// "00000000-0000-4000-8000-00000000002a": UUID-shaped, sequential.
    private mutating func nextID() -> String {
        serial += 1
        let hex = String(serial, radix: 16)
        return "00000000-0000-4000-8000-" + String(repeating: "0", count: max(0, 12 - hex.count)) + hex
    }

    static func zeroPadded(_ n: Int, width: Int) -> String {
        let digits = String(n)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
