/// A contact as sipgate's REST API v2 stores and returns it (`ContactResponse`).
///
/// The JSON field names are sipgate's: `{"id","name","picture","emails":[{"email","type"}],
/// "numbers":[{"number","type"}],"addresses":[…],"organization":[[…]],"scope"}`.
/// `family` and `given` are accepted on create/update (CreateContactRequest) and kept here, but
/// `ContactResponse` has no such fields, so the API never returns them.
public struct SipgateContact: Sendable, Equatable {
    /// Who sees the contact: PRIVATE (the user's own), SHARED (the company's), INTERNAL (the
    /// account's users, read-only through the API).
    public enum Scope: String, Sendable, CaseIterable, Codable {
        case `private` = "PRIVATE"
        case shared = "SHARED"
        case `internal` = "INTERNAL"
    }

    public struct Email: Sendable, Equatable, Codable {
        public var email: String
        /// vCard-like types, e.g. ["work"] ⚠.
        public var type: [String]

        public init(email: String, type: [String] = []) {
            self.email = email
            self.type = type
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            email = try container.decode(String.self, forKey: .email)
            type = try container.decodeIfPresent([String].self, forKey: .type) ?? []
        }
    }

    public struct Number: Sendable, Equatable, Codable {
        /// As stored; the simulator's `phonenumbers=` filter compares it exactly (E.164 ⚠).
        public var number: String
        /// vCard-like types, e.g. ["cell"], ["work"], ["fax","work"] ⚠.
        public var type: [String]

        public init(number: String, type: [String] = []) {
            self.number = number
            self.type = type
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            number = try container.decode(String.self, forKey: .number)
            type = try container.decodeIfPresent([String].self, forKey: .type) ?? []
        }
    }

    public struct Address: Sendable, Equatable, Codable {
        public var poBox: String?
        public var extendedAddress: String?
        public var streetAddress: String?
        public var locality: String?
        public var region: String?
        public var postalCode: String?
        public var country: String?

        public init(
            poBox: String? = nil, extendedAddress: String? = nil, streetAddress: String? = nil, locality: String? = nil,
            region: String? = nil, postalCode: String? = nil, country: String? = nil
        ) {
            self.poBox = poBox
            self.extendedAddress = extendedAddress
            self.streetAddress = streetAddress
            self.locality = locality
            self.region = region
            self.postalCode = postalCode
            self.country = country
        }
    }

    /// Assigned by the simulator when empty (UUID-shaped and sequential: reproducible runs).
    public var id: String
    public var name: String
    public var family: String?
    public var given: String?
    public var picture: String?
    public var emails: [Email]
    public var numbers: [Number]
    public var addresses: [Address]
    /// sipgate's shape: a list of organization lines, e.g. [["Muster GmbH", "Sales"]].
    public var organization: [[String]]
    public var scope: Scope

    public init(
        id: String = "", name: String, family: String? = nil, given: String? = nil, picture: String? = nil,
        emails: [Email] = [], numbers: [Number] = [], addresses: [Address] = [], organization: [[String]] = [],
        scope: Scope = .shared
    ) {
        self.id = id
        self.name = name
        self.family = family
        self.given = given
        self.picture = picture
        self.emails = emails
        self.numbers = numbers
        self.addresses = addresses
        self.organization = organization
        self.scope = scope
    }
}

extension SipgateContact: Encodable {
    private enum CodingKeys: String, CodingKey {
        case id, name, picture, emails, numbers, addresses, organization, scope
    }

    /// `ContactResponse`; `picture` is written as null when absent, as in sipgate's examples.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(picture, forKey: .picture)
        try container.encode(emails, forKey: .emails)
        try container.encode(numbers, forKey: .numbers)
        try container.encode(addresses, forKey: .addresses)
        try container.encode(organization, forKey: .organization)
        try container.encode(scope, forKey: .scope)
    }
}

/// The body of `POST /contacts` and `PUT /contacts/{contactId}` (CreateContactRequest /
/// UpdateContactRequest): every field optional except `scope`.
struct SipgateContactRequest: Decodable {
    var name: String?
    var family: String?
    var given: String?
    var picture: String?
    var emails: [SipgateContact.Email]?
    var numbers: [SipgateContact.Number]?
    var addresses: [SipgateContact.Address]?
    var organization: [[String]]?
    var scope: SipgateContact.Scope

    /// The contact this request describes (a PUT replaces the whole contact).
    func contact(id: String) -> SipgateContact {
        SipgateContact(
            id: id, name: name ?? [given, family].compactMap { $0 }.joined(separator: " "), family: family,
            given: given, picture: picture, emails: emails ?? [], numbers: numbers ?? [], addresses: addresses ?? [],
            organization: organization ?? [], scope: scope)
    }
}

/// `GET /contacts`: `{"items":[ContactResponse],"totalCount":n}`.
struct SipgateContactsPage: Encodable {
    var items: [SipgateContact]
    var totalCount: Int
}
