import Foundation
import NIOHTTP1
import SwitchboardCore

/// Pipedrive (API v1): persons, with their organisation's name, into the
/// phonebook; changes written through.
///
/// Reads: the first run, and every `full` run, pages through `GET /persons`
/// (offset paging, 500 a page, `org_name` included). Later runs ask
/// `GET /persons/collection?since=` for what changed since the newest
/// `update_time` seen (cursor paging; deleted persons come back with
/// `active_flag` false and are removed). That endpoint is for global admins
/// only: a 403 falls back to a full read. The newest `update_time` seen is
/// the cursor kept for the next run (inclusive, so a person updated in the
/// same second is read again, never missed).
public struct PipedriveConnector: ContactSource, ContactWriter {
    public init() {}

    public static let defaultURL = "https://api.pipedrive.com/v1"
    public static let defaultTokenURL = "https://oauth.pipedrive.com/oauth/token"
    static let pageSize = 500

    public static let descriptor = ConnectorDescriptor(
        system: "pipedrive", label: "Pipedrive",
        summary: "Pipedrive CRM persons (with their organisation) into the phonebook; contacts created or changed here are written to Pipedrive.",
        fields: [
            FieldSpec("url", "API base URL", example: defaultURL,
                      help: "the company-domain form https://COMPANY.pipedrive.com/api/v1 works too; default \(defaultURL)"),
            FieldSpec("apiToken", "API token", kind: .credential, help: "Settings → Personal preferences → API; or use the OAuth fields"),
        ] + OAuthSession.credentialFields + [
            FieldSpec("tokenURL", "OAuth token endpoint", example: defaultTokenURL),
            FieldSpec("requestsPerSecond", "Requests per second at most", example: "10",
                      help: "Pipedrive allows 20 to 120 requests per 2 seconds depending on the plan; default 10 a second"),
        ],
        capabilities: [.contactsRead, .contactChanges, .contactsWrite], requestsPerSecond: 10)

    static func validate(settings: [String: String]) throws(ConnectorError) {
        try RemoteAPI.validate(settings: settings, urls: ["url", "tokenURL"])
    }

    func api(_ context: ConnectorContext) throws -> RemoteAPI {
        let auth: RemoteAuth
        if let session = OAuthSession.from(context, system: "Pipedrive", tokenURL: context.settings["tokenURL"] ?? Self.defaultTokenURL) {
            auth = .oauth(session)
        } else if let token = context.credentials["apiToken"], !token.isEmpty {
            auth = .query(name: "api_token", value: token)
        } else {
            throw ConnectorError(.unauthorized, "no Pipedrive credentials: set apiToken (or the OAuth tokens) with interfaces.setCredentials", system: "Pipedrive")
        }
        return RemoteAPI(system: "Pipedrive", baseURL: context.settings["url"] ?? Self.defaultURL, auth: auth, context: context)
    }

    // MARK: reading

    public func test(_ context: ConnectorContext) async throws -> String {
        let api = try api(context)
        let me = try Self.data(try await api.send(RemoteRequest(.GET, "/users/me"))) as? [String: Any]
        let persons = try await api.send(RemoteRequest(.GET, "/persons", query: [("start", "0"), ("limit", "1")]))
        let more = (try Self.envelope(persons)["additional_data"] as? [String: Any])?["pagination"] as? [String: Any]
        let who = [me?["name"] as? String, (me?["company_name"] as? String).map { "at \($0)" }].compactMap { $0 }.joined(separator: " ")
        let hasPersons = (try Self.data(persons) as? [Any])?.isEmpty == false
        return "connected to Pipedrive" + (who.isEmpty ? "" : " as \(who)") + (hasPersons ? "; persons can be read" : "; no persons yet")
            + ((more?["more_items_in_collection"] as? Bool) == true ? " (more than one page)" : "")
    }

    public func read(_ context: ConnectorContext, previous: SourceFingerprint?, into sink: any ContactSink) async throws -> ReadResult {
        let api = try api(context)
        if let since = previous?.cursor {
            do {
                return try await readChanges(api, since: since, into: sink)
            } catch let error as ConnectorError where error.status == 403 {
                await sink.warn("Pipedrive refused the change feed (/persons/collection is for global admins only): read everything instead")
            }
        }
        return try await readAll(api, into: sink)
    }

    private func readAll(_ api: RemoteAPI, into sink: any ContactSink) async throws -> ReadResult {
        var start = 0
        var newest = ""
        while true {
            let response = try await api.send(RemoteRequest(.GET, "/persons", query: [("start", String(start)), ("limit", String(Self.pageSize))]))
            let persons = try Self.data(response) as? [[String: Any]] ?? []
            var contacts: [SourceContact] = []
            contacts.reserveCapacity(persons.count)
            for person in persons where (person["active_flag"] as? Bool) != false {
                guard let contact = Self.contact(person, organisations: [:]) else { continue }
                newest = max(newest, contact.version ?? "")
                contacts.append(contact)
            }
            try await sink.accept(contacts, rejected: [])
            let pagination = (try Self.envelope(response)["additional_data"] as? [String: Any])?["pagination"] as? [String: Any]
            guard (pagination?["more_items_in_collection"] as? Bool) == true, let next = (pagination?["next_start"] as? NSNumber)?.intValue,
                  next > start
            else { break }
            start = next
        }
        return .complete(SourceFingerprint(cursor: newest.isEmpty ? nil : newest))
    }

    private func readChanges(_ api: RemoteAPI, since: String, into sink: any ContactSink) async throws -> ReadResult {
        var cursor: String?
        var newest = since
        var organisations: [Int: String] = [:]
        repeat {
            var query = [("since", since), ("limit", String(Self.pageSize))]
            if let cursor { query.append(("cursor", cursor)) }
            let response = try await api.send(RemoteRequest(.GET, "/persons/collection", query: query))
            let persons = try Self.data(response) as? [[String: Any]] ?? []
            var contacts: [SourceContact] = []
            var deleted: [String] = []
            for person in persons {
                guard let id = Self.id(person["id"]) else { continue }
                if let time = person["update_time"] as? String { newest = max(newest, time) }
                if (person["active_flag"] as? Bool) == false {
                    deleted.append(String(id))
                    continue
                }
                // The collection gives the organisation's id only: its name is fetched once per run.
                if let org = Self.id(person["org_id"]), organisations[org] == nil {
                    let answer = try await api.send(RemoteRequest(.GET, "/organizations/\(org)"), accept: [404])
                    organisations[org] = answer.status == 404 ? "" : ((try Self.data(answer) as? [String: Any])?["name"] as? String ?? "")
                }
                if let contact = Self.contact(person, organisations: organisations) { contacts.append(contact) }
            }
            try await sink.accept(contacts, rejected: [])
            if !deleted.isEmpty { try await sink.remove(deleted) }
            cursor = ((try Self.envelope(response)["additional_data"] as? [String: Any])?["next_cursor"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        } while cursor != nil
        return .delta(SourceFingerprint(cursor: newest))
    }

    // MARK: writing

    public func create(_ context: ConnectorContext, _ fields: PhonebookFields) async throws -> SourceContact {
        let api = try api(context)
        let body = try await Self.body(fields, api: api)
        let response = try await api.send(try .json(.POST, "/persons", body))
        return try Self.written(response)
    }

    public func update(_ context: ConnectorContext, externalId: String, version: String?, scope: ContactScope?, _ fields: PhonebookFields) async throws
        -> SourceContact
    {
        let api = try api(context)
        let body = try await Self.body(fields, api: api)
        let response = try await api.send(try .json(.PUT, "/persons/\(Self.pathComponent(externalId))", body))
        return try Self.written(response)
    }

    public func delete(_ context: ConnectorContext, externalId: String, version: String?) async throws {
        let api = try api(context)
        // Already gone there is what the caller wanted.
        _ = try await api.send(RemoteRequest(.DELETE, "/persons/\(Self.pathComponent(externalId))"), accept: [404])
    }

    /// The person body: name, phones and e-mails as Pipedrive labels them, the organisation by id (found or made by name).
    static func body(_ fields: PhonebookFields, api: RemoteAPI) async throws -> [String: Any] {
        var body: [String: Any] = ["name": fields.resolvedDisplayName]
        if let first = fields.firstName { body["first_name"] = first }
        if let last = fields.lastName { body["last_name"] = last }
        body["phone"] = (fields.numbers ?? []).enumerated().map { i, n in
            ["value": n.text, "label": label(n.kind), "primary": i == 0] as [String: Any]
        }
        body["email"] = fields.email.map { [["value": $0, "label": "work", "primary": true] as [String: Any]] } ?? []
        if let company = fields.company?.nonEmpty {
            body["org_id"] = try await organisation(named: company, api: api)
        } else {
            body["org_id"] = NSNull()
        }
        return body
    }

    /// The id of the organisation with exactly this name, made when there is none.
    static func organisation(named name: String, api: RemoteAPI) async throws -> Int {
        let found = try await api.send(RemoteRequest(.GET, "/organizations/search", query: [("term", name), ("exact_match", "true"), ("limit", "1")]))
        let items = (try data(found) as? [String: Any])?["items"] as? [[String: Any]]
        if let id = items?.compactMap({ id(($0["item"] as? [String: Any])?["id"]) }).first { return id }
        let made = try await api.send(try .json(.POST, "/organizations", ["name": name]))
        guard let id = id((try data(made) as? [String: Any])?["id"]) else {
            throw ConnectorError(.remote, "Pipedrive created the organisation \(name) but did not say its id", system: "Pipedrive")
        }
        return id
    }

    static func written(_ response: RemoteResponse) throws -> SourceContact {
        guard let person = try data(response) as? [String: Any], let contact = contact(person, organisations: [:]) else {
            throw ConnectorError(.remote, "Pipedrive answered \(response.status) without the person", status: response.status, system: "Pipedrive")
        }
        return contact
    }

    // MARK: mapping

    /// A person as a phonebook contact; nil without an id.
    static func contact(_ person: [String: Any], organisations: [Int: String]) -> SourceContact? {
        guard let id = id(person["id"]) else { return nil }
        var company = (person["org_name"] as? String)?.nonEmpty
        if company == nil {
            if let org = person["org_id"] as? [String: Any] {
                company = (org["name"] as? String)?.nonEmpty
            } else if let org = Self.id(person["org_id"]) {
                company = organisations[org]?.nonEmpty
            }
        }
        let phones = (person["phone"] as? [[String: Any]] ?? []).compactMap { phone -> (kind: EntryNumber.Kind, text: String)? in
            guard let value = (phone["value"] as? String)?.nonEmpty else { return nil }
            return (kind(phone["label"] as? String), value)
        }
        let emails = (person["email"] as? [[String: Any]] ?? []).filter { ($0["value"] as? String)?.nonEmpty != nil }
        let email = (emails.first { ($0["primary"] as? Bool) == true } ?? emails.first)?["value"] as? String
        // `name` only: the change feed (/persons/collection) has no first_name/last_name, and a
        // contact must read the same from both endpoints (else every delta would "change" it).
        let fields = PhonebookFields(displayName: (person["name"] as? String)?.nonEmpty, company: company, email: email, numbers: phones)
        return SourceContact(externalId: String(id), fields: fields, version: person["update_time"] as? String)
    }

    /// Pipedrive's phone labels: work, home, mobile, other (and whatever an admin typed).
    static func kind(_ label: String?) -> EntryNumber.Kind {
        switch label?.lowercased() {
        case "mobile", "cell": .mobile
        case "home": .home
        case "fax": .fax
        case "other": .other
        default: .phone
        }
    }

    static func label(_ kind: EntryNumber.Kind) -> String {
        switch kind {
        case .phone: "work"
        case .mobile: "mobile"
        case .home: "home"
        case .fax: "other"
        case .other: "other"
        }
    }

    static func id(_ value: Any?) -> Int? {
        if let number = value as? NSNumber { return number.intValue }
        if let object = value as? [String: Any] { return id(object["value"] ?? object["id"]) }
        if let text = value as? String { return Int(text) }
        return nil
    }

    static func pathComponent(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? id
    }

    static func envelope(_ response: RemoteResponse) throws -> [String: Any] {
        let object = try response.jsonObject(system: "Pipedrive")
        if (object["success"] as? Bool) == false {
            throw ConnectorError(.remote, "Pipedrive said: \(object["error"] as? String ?? "no success")", status: response.status, system: "Pipedrive",
                                 systemMessage: object["error"] as? String)
        }
        return object
    }

    static func data(_ response: RemoteResponse) throws -> Any? {
        try envelope(response)["data"]
    }
}
