/// The data, as changed on Pipedrive's side (a user in the web app, another integration).
/// Every change stamps `update_time` with the simulator's clock, as Pipedrive would.
extension PipedriveSimulator {
    /// Adds a person and returns its id. `addTime`/`updateTime` left at 0 become now.
    @discardableResult
    public func add(_ person: PipedrivePerson) -> Int {
        let now = clock.now
        return api.dataset.withLock { $0.add(person, now: now) }
    }

    /// Adds a person with these phone numbers and email addresses (the first of each primary).
    @discardableResult
    public func addPerson(name: String, phones: [String] = [], emails: [String] = [], orgID: Int? = nil) -> Int {
        add(
            PipedrivePerson(
                name: name,
                phones: phones.enumerated().map { .init($1, primary: $0 == 0) },
                emails: emails.enumerated().map { .init($1, primary: $0 == 0) },
                orgID: orgID))
    }

    /// Appends `count` generated persons ("Person 00000001", phone "+494000000001", email
    /// "person00000001@example.com", numbered by id), spread round-robin over `organizations`;
    /// returns their ids. 200,000 take well under a second in a release build.
    @discardableResult
    public func seed(count: Int, organizations: [Int] = []) -> ClosedRange<Int>? {
        let now = clock.now
        return api.dataset.withLock { $0.seed(count, organizations: organizations, now: now) }
    }

    public func person(_ id: Int) -> PipedrivePerson? {
        api.dataset.withLock { $0.person(id) }
    }

    /// Changes a person and stamps `update_time` with now (or keeps a later time the change
    /// set); returns the result (nil: no such person). Move `clock` to date changes.
    @discardableResult
    public func update(_ id: Int, _ change: (inout PipedrivePerson) -> Void) -> PipedrivePerson? {
        let now = clock.now
        return api.dataset.withLock { $0.modify(id, now: now, change) }
    }

    /// Stamps `update_time` with now without other changes (an edit elsewhere in the record).
    @discardableResult
    public func touch(_ id: Int) -> PipedrivePerson? {
        update(id) { _ in }
    }

    /// Deletes like Pipedrive: `active_flag` false, `delete_time` and `update_time` now.
    @discardableResult
    public func delete(_ id: Int) -> PipedrivePerson? {
        let now = clock.now
        return api.dataset.withLock { $0.softDelete(id, now: now) }
    }

    /// Removes a person for good, as Pipedrive does 30 days after deletion.
    public func purge(_ id: Int) {
        api.dataset.withLock { $0.purge(id) }
    }

    /// Every stored person (deleted ones included, purged ones not), by id.
    public var persons: [PipedrivePerson] {
        api.dataset.withLock { $0.persons.compactMap { $0 } }
    }

    /// The number of active persons.
    public var activePersonCount: Int {
        api.dataset.withLock { $0.activeIDs.count }
    }

    /// Adds an organization and returns its id.
    @discardableResult
    public func addOrganization(name: String, address: String? = nil) -> Int {
        let now = clock.now
        return api.dataset.withLock { $0.addOrganization(PipedriveOrganization(name: name, address: address), now: now) }
    }

    public func organization(_ id: Int) -> PipedriveOrganization? {
        api.dataset.withLock { $0.organizations[id] }
    }

    /// Adds (or replaces) a user, to own persons (`ownerID`).
    public func addUser(_ user: PipedriveUser) {
        api.dataset.withLock { $0.users[user.id] = user }
    }
}
