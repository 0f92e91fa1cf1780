/// A person as the simulated Pipedrive company stores it. The API renders it in Pipedrive's
/// shapes (`PipedriveJSON.swift`): nested `owner_id`/`org_id` objects on `/persons`, plain ids on
/// `/persons/collection`, timestamps as "YYYY-MM-DD HH:MM:SS" UTC.
public struct PipedrivePerson: Sendable, Equatable {
    /// One phone number or email address: `{"value","primary","label"}`.
    public struct Field: Sendable, Equatable {
        public var value: String
        public var primary: Bool
        /// "work", "home", "mobile", "other".
        public var label: String

        public init(_ value: String, primary: Bool = true, label: String = "work") {
            self.value = value
            self.primary = primary
            self.label = label
        }
    }

    /// Sequential from 1; never reused.
    public internal(set) var id: Int
    public var name: String
    public var phones: [Field]
    public var emails: [Field]
    /// The organization (see `PipedriveSimulator.addOrganization`), if any.
    public var orgID: Int?
    public var ownerID: Int
    /// Pipedrive's `visible_to`: "1" owner only, "3" whole company (the default).
    public var visibleTo: String
    /// `active_flag`: false once deleted (Pipedrive deletes softly and purges after 30 days).
    public var isActive: Bool
    /// Seconds since 1970 on the simulator's clock.
    public var addTime: Int
    public var updateTime: Int
    public var deleteTime: Int?

    public init(
        id: Int = 0, name: String, phones: [Field] = [], emails: [Field] = [], orgID: Int? = nil, ownerID: Int = 1,
        visibleTo: String = "3", isActive: Bool = true, addTime: Int = 0, updateTime: Int = 0, deleteTime: Int? = nil
    ) {
        self.id = id
        self.name = name
        self.phones = phones
        self.emails = emails
        self.orgID = orgID
        self.ownerID = ownerID
        self.visibleTo = visibleTo
        self.isActive = isActive
        self.addTime = addTime
        self.updateTime = updateTime
        self.deleteTime = deleteTime
    }

    /// Pipedrive derives `first_name`/`last_name` from `name`; here: split at the first space ⚠.
    var firstName: String { name.split(separator: " ", maxSplits: 1).first.map(String.init) ?? "" }
    var lastName: String? {
        let parts = name.split(separator: " ", maxSplits: 1)
        return parts.count > 1 ? String(parts[1]) : nil
    }
}

/// An organization, for the person's `org_id`/`org_name` and `GET /organizations/{id}`.
public struct PipedriveOrganization: Sendable, Equatable {
    public internal(set) var id: Int
    public var name: String
    public var address: String?
    public var ownerID: Int
    public var isActive: Bool
    public var addTime: Int
    public var updateTime: Int

    public init(
        id: Int = 0, name: String, address: String? = nil, ownerID: Int = 1, isActive: Bool = true, addTime: Int = 0,
        updateTime: Int = 0
    ) {
        self.id = id
        self.name = name
        self.address = address
        self.ownerID = ownerID
        self.isActive = isActive
        self.addTime = addTime
        self.updateTime = updateTime
    }
}

/// A Pipedrive user, as the owner of persons and organizations.
public struct PipedriveUser: Sendable, Equatable {
    public var id: Int
    public var name: String
    public var email: String

    public init(id: Int, name: String, email: String) {
        self.id = id
        self.name = name
        self.email = email
    }
}
