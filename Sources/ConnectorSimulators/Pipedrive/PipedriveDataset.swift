/// The simulated Pipedrive company's persons, organizations and users.
///
/// Persons live in an array indexed by id − 1 (ids are sequential and never reused; a purged
/// person leaves nil), so a lookup is O(1) and a cursor page is a scan from the cursor's id.
/// What offset paging, phone search and `org_id.people_count` need is kept up to date with each
/// change, so a write-heavy benchmark does not rebuild anything per request; only the phone
/// index is built lazily after a bulk seed (and then maintained).
struct PipedriveDataset: Sendable {
    private(set) var persons: [PipedrivePerson?] = []
    var organizations: [Int: PipedriveOrganization] = [:]
    var users: [Int: PipedriveUser] = [1: PipedriveUser(id: 1, name: "Simulator Owner", email: "owner@example.com")]
    /// The active persons' ids, ascending (offset paging).
    private(set) var activeIDs: [Int] = []
    /// Organization id → number of active persons in it.
    private(set) var peopleCount: [Int: Int] = [:]
    /// Lower-cased phone value → ids of active persons, ascending; nil until first needed after a seed.
    private var phoneIndex: [String: [Int]]? = [:]
    private var nextOrganizationID = 1

    // MARK: - Changes

    mutating func add(_ person: PipedrivePerson, now: Int) -> Int {
        var person = person
        person.id = persons.count + 1
        if person.addTime == 0 { person.addTime = now }
        if person.updateTime == 0 { person.updateTime = person.addTime }
        persons.append(person)
        index(person, adding: true)
        return person.id
    }

    /// Appends `count` generated persons ("Person 00000001", phone "+4940" + 8 digits, one
    /// email), assigned round-robin to `organizations` when given; returns their ids.
    mutating func seed(_ count: Int, organizations orgIDs: [Int], now: Int) -> ClosedRange<Int>? {
        guard count > 0 else { return nil }
        persons.reserveCapacity(persons.count + count)
        let first = persons.count + 1
        activeIDs.reserveCapacity(activeIDs.count + count)
        for offset in 0..<count {
            let id = first + offset
            let padded = SipgateDataset.zeroPadded(id, width: 8)
            let orgID = orgIDs.isEmpty ? nil : orgIDs[offset % orgIDs.count]
            persons.append(
                PipedrivePerson(
                    id: id, name: "Person " + padded, phones: [.init("+4940" + padded)],
                    emails: [.init("person" + padded + "@example.com")],
                    orgID: orgID, addTime: now, updateTime: now))
            activeIDs.append(id)  // the new ids are the largest: the order holds
            if let orgID { peopleCount[orgID, default: 0] += 1 }
        }
        phoneIndex = nil
        return first...(first + count - 1)
    }

    func person(_ id: Int) -> PipedrivePerson? {
        guard id >= 1, id <= persons.count else { return nil }
        return persons[id - 1]
    }

    /// Applies `change` and stamps `update_time`; nil when there is no such person.
    mutating func modify(_ id: Int, now: Int, _ change: (inout PipedrivePerson) -> Void) -> PipedrivePerson? {
        guard let old = person(id) else { return nil }
        var person = old
        change(&person)
        person.id = id
        person.updateTime = max(now, person.updateTime)
        persons[id - 1] = person
        index(old, adding: false)
        index(person, adding: true)
        return person
    }

    /// Pipedrive's soft delete: `active_flag` false, `delete_time` and `update_time` now.
    mutating func softDelete(_ id: Int, now: Int) -> PipedrivePerson? {
        modify(id, now: now) { person in
            if person.isActive {
                person.isActive = false
                person.deleteTime = now
            }
        }
    }

    /// Gone for good (Pipedrive purges 30 days after deletion).
    mutating func purge(_ id: Int) {
        guard let old = person(id) else { return }
        persons[id - 1] = nil
        index(old, adding: false)
    }

    mutating func addOrganization(_ organization: PipedriveOrganization, now: Int) -> Int {
        var organization = organization
        organization.id = nextOrganizationID
        nextOrganizationID += 1
        if organization.addTime == 0 { organization.addTime = now }
        if organization.updateTime == 0 { organization.updateTime = organization.addTime }
        organizations[organization.id] = organization
        return organization.id
    }

    // MARK: - Queries

    /// `GET /persons?start=&limit=`: active persons by id.
    func activePage(start: Int, limit: Int) -> (persons: [PipedrivePerson], more: Bool) {
        guard start < activeIDs.count else { return ([], false) }
        let end = min(activeIDs.count, start + limit)
        return (activeIDs[start..<end].compactMap { person($0) }, end < activeIDs.count)
    }

    /// `GET /persons/collection`: persons with id > `afterID` whose `update_time` is within
    /// [since, until] (both inclusive ⚠), by id; `more` looks one match ahead.
    func collectionPage(
        afterID: Int, limit: Int, since: Int?, until: Int?, includeDeleted: Bool
    ) -> (persons: [PipedrivePerson], more: Bool) {
        var page: [PipedrivePerson] = []
        page.reserveCapacity(min(limit, 512))
        var index = max(0, afterID)
        while index < persons.count {
            defer { index += 1 }
            guard let person = persons[index], includeDeleted || person.isActive,
                since.map({ person.updateTime >= $0 }) ?? true, until.map({ person.updateTime <= $0 }) ?? true
            else { continue }
            if page.count == limit { return (page, true) }
            page.append(person)
        }
        return (page, false)
    }

    /// `GET /persons/search`: active persons whose chosen fields match `term` (case-insensitive;
    /// exact, or containing it), by id.
    mutating func search(
        term: String, fields: Set<String>, exact: Bool, organizationID: Int?
    ) -> [PipedrivePerson] {
        let wanted = term.lowercased()
        let candidates: [PipedrivePerson]
        if exact, fields == ["phone"] {
            if phoneIndex == nil { phoneIndex = buildPhoneIndex() }
            candidates = (phoneIndex?[wanted] ?? []).compactMap { person($0) }
        } else {
            candidates = activeIDs.compactMap { person($0) }.filter { person in
                func matches(_ value: String) -> Bool {
                    let value = value.lowercased()
                    return exact ? value == wanted : value.contains(wanted)
                }
                return (fields.contains("name") && matches(person.name))
                    || (fields.contains("phone") && person.phones.contains { matches($0.value) })
                    || (fields.contains("email") && person.emails.contains { matches($0.value) })
            }
        }
        return candidates.filter { organizationID == nil || $0.orgID == organizationID }
    }

    // MARK: - Indexes

    /// Adds an active person to (or removes it from) the active ids, the people counts and the
    /// phone index; inactive persons are in none of them.
    private mutating func index(_ person: PipedrivePerson, adding: Bool) {
        guard person.isActive else { return }
        let position = Self.insertionPoint(of: person.id, in: activeIDs)
        if adding {
            activeIDs.insert(person.id, at: position)
        } else if position < activeIDs.count, activeIDs[position] == person.id {
            activeIDs.remove(at: position)
        }
        if let orgID = person.orgID {
            peopleCount[orgID, default: 0] += adding ? 1 : -1
            if peopleCount[orgID] == 0 { peopleCount[orgID] = nil }
        }
        guard phoneIndex != nil else { return }
        for phone in Set(person.phones.map { $0.value.lowercased() }) where !phone.isEmpty {
            var ids = phoneIndex?[phone] ?? []
            let at = Self.insertionPoint(of: person.id, in: ids)
            if adding {
                ids.insert(person.id, at: at)
            } else if at < ids.count, ids[at] == person.id {
                ids.remove(at: at)
            }
            phoneIndex?[phone] = ids.isEmpty ? nil : ids
        }
    }

    private func buildPhoneIndex() -> [String: [Int]] {
        var index: [String: [Int]] = [:]
        for id in activeIDs {
            guard let person = person(id) else { continue }
            for phone in Set(person.phones.map { $0.value.lowercased() }) where !phone.isEmpty {
                index[phone, default: []].append(id)
            }
        }
        return index
    }

    /// The first position in ascending `ids` whose id is not below `id` (binary search).
    private static func insertionPoint(of id: Int, in ids: [Int]) -> Int {
        var low = 0
        var high = ids.count
        while low < high {
            let middle = (low + high) / 2
            if ids[middle] < id { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
