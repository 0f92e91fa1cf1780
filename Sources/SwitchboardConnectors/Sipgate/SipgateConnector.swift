import Foundation
import NIOHTTP1
import SwitchboardCore

/// sipgate (REST API v2): the account's private and shared contacts into the
/// phonebook; contacts created here are created SHARED in sipgate.
///
/// sipgate has no change feed and no record versions, so every run lists
/// `GET /contacts` (offset paging) and the sync engine skips what did not
/// change by content. INTERNAL contacts (the account's own users) are not
/// imported: the phonebook has the users already. `POST /contacts` answers
/// with an empty body, so the created contact is found again by its number
/// (`GET /contacts?phonenumbers=`) or, without a number, by listing.
public struct SipgateConnector: ContactSource, ContactWriter {
    public init() {}

    public static let defaultURL = "https://api.sipgate.com/v2"
    public static let defaultTokenURL = "https://login.sipgate.com/auth/realms/third-party/protocol/openid-connect/token"
    static let pageSize = 5_000

    public static let descriptor = ConnectorDescriptor(
        system: "sipgate", label: "sipgate",
        summary: "sipgate contacts (private and shared) into the phonebook; contacts created here are created shared in sipgate.",
        fields: [
            FieldSpec("url", "API base URL", example: defaultURL, help: "default \(defaultURL)"),
            FieldSpec("tokenId", "Personal access token id", kind: .credential, example: "token-ABC123",
                      help: "a personal access token with the scopes contacts:read and contacts:write; or use the OAuth fields"),
            FieldSpec("token", "Personal access token", kind: .credential),
        ] + OAuthSession.credentialFields + [
            FieldSpec("tokenURL", "OAuth token endpoint", example: defaultTokenURL),
            FieldSpec("requestsPerSecond", "Requests per second at most", example: "5", help: "default 5 a second"),
        ],
        capabilities: [.contactsRead, .contactsWrite], requestsPerSecond: 5)

    static func validate(settings: [String: String]) throws(ConnectorError) {
        try RemoteAPI.validate(settings: settings, urls: ["url", "tokenURL"])
    }

    static func isReady(credentials: Set<String>) -> Bool {
        (credentials.contains("tokenId") && credentials.contains("token")) || credentials.contains("accessToken")
    }

    func api(_ context: ConnectorContext) throws -> RemoteAPI {
        let auth: RemoteAuth
        let c = context.credentials
        if let session = OAuthSession.from(context, system: "sipgate", tokenURL: context.settings["tokenURL"] ?? Self.defaultTokenURL,
                                           credentialsInBody: true) {
            auth = .oauth(session)
        } else if let id = c["tokenId"], let token = c["token"], !id.isEmpty, !token.isEmpty {
            auth = .basic(user: id, password: token)
        } else {
            throw ConnectorError(.unauthorized, "no sipgate credentials: set tokenId and token (or the OAuth tokens) with interfaces.setCredentials",
                                 system: "sipgate")
        }
        return RemoteAPI(system: "sipgate", baseURL: context.settings["url"] ?? Self.defaultURL, auth: auth, context: context)
    }

    // MARK: reading

    public func test(_ context: ConnectorContext) async throws -> String {
        let response = try await api(context).send(RemoteRequest(.GET, "/contacts", query: [("limit", "1"), ("offset", "0")]))
        let total = (try response.jsonObject(system: "sipgate")["totalCount"] as? NSNumber)?.intValue
        return "connected to sipgate; \(total.map(String.init) ?? "some") contacts visible (private, shared and internal)"
    }

    public func read(_ context: ConnectorContext, previous: SourceFingerprint?, into sink: any ContactSink) async throws -> ReadResult {
        let api = try api(context)
        var offset = 0
        while true {
            let response = try await api.send(RemoteRequest(.GET, "/contacts", query: [("limit", String(Self.pageSize)), ("offset", String(offset))]))
            let object = try response.jsonObject(system: "sipgate")
            let items = object["items"] as? [[String: Any]] ?? []
            let contacts = items.compactMap(Self.contact).filter { $0.scope != .internal }
            try await sink.accept(contacts, rejected: [])
            offset += items.count
            let total = (object["totalCount"] as? NSNumber)?.intValue ?? offset
            if items.isEmpty || offset >= total { break }
        }
        return .complete(SourceFingerprint())
    }

    // MARK: writing

    public func create(_ context: ConnectorContext, _ fields: PhonebookFields) async throws -> SourceContact {
        let api = try api(context)
        let body = Self.body(fields, scope: .shared)
        _ = try await api.send(try .json(.POST, "/contacts", body))
        // The answer is empty: find the contact just made (same name, shared) — by its number when it
        // has one (quick), else (or when the number is stored in another form) in the whole list.
        let name = body["name"] as? String
        let number = fields.numbers?.first?.text.filter { $0 != " " }
        for filter in [number.flatMap { $0.hasPrefix("+") ? [("phonenumbers", $0)] : nil }, []] {
            guard let filter else { continue }
            var offset = 0
            while true {
                let query = [("limit", String(Self.pageSize)), ("offset", String(offset))] + filter
                let object = try await api.send(RemoteRequest(.GET, "/contacts", query: query)).jsonObject(system: "sipgate")
                let items = object["items"] as? [[String: Any]] ?? []
                // The newest match last: sipgate lists in creation order.
                if let made = items.filter({ $0["name"] as? String == name && $0["scope"] as? String == "SHARED" }).last.flatMap(Self.contact) {
                    return made
                }
                offset += items.count
                if items.isEmpty || offset >= (object["totalCount"] as? NSNumber)?.intValue ?? offset { break }
            }
        }
        throw ConnectorError(.remote, "sipgate accepted the new contact but does not list it; the next sync brings it in", system: "sipgate")
    }

    public func update(_ context: ConnectorContext, externalId: String, version: String?, scope: ContactScope?, _ fields: PhonebookFields) async throws
        -> SourceContact
    {
        let body = Self.body(fields, scope: scope ?? .shared)
        _ = try await api(context).send(try .json(.PUT, "/contacts/\(Self.pathComponent(externalId))", body))
        var written = body
        written["id"] = externalId
        guard let contact = Self.contact(written) else {
            throw ConnectorError(.remote, "sipgate accepted the change, but it could not be read back", system: "sipgate")
        }
        return contact
    }

    public func delete(_ context: ConnectorContext, externalId: String, version: String?) async throws {
        _ = try await api(context).send(RemoteRequest(.DELETE, "/contacts/\(Self.pathComponent(externalId))"), accept: [404])
    }

    // MARK: mapping

    static func body(_ fields: PhonebookFields, scope: ContactScope) -> [String: Any] {
        var body: [String: Any] = [
            "name": fields.resolvedDisplayName,
            "scope": scopeName(scope),
            "numbers": (fields.numbers ?? []).map { ["number": $0.text, "type": types($0.kind)] as [String: Any] },
            "emails": fields.email.map { [["email": $0, "type": ["work"]] as [String: Any]] } ?? [],
            "addresses": [] as [Any],
        ]
        if let given = fields.firstName { body["given"] = given }
        if let family = fields.lastName { body["family"] = family }
        let organization = [fields.company, fields.department].compactMap { $0?.nonEmpty }
        body["organization"] = organization.isEmpty ? [] as [[String]] : [organization]
        return body
    }

    static func contact(_ item: [String: Any]) -> SourceContact? {
        guard let id = (item["id"] as? String)?.nonEmpty ?? (item["id"] as? NSNumber)?.stringValue else { return nil }
        let numbers = (item["numbers"] as? [[String: Any]] ?? []).compactMap { n -> (kind: EntryNumber.Kind, text: String)? in
            guard let number = (n["number"] as? String)?.nonEmpty else { return nil }
            return (kind(n["type"] as? [String] ?? []), number)
        }
        let organization = (item["organization"] as? [[String]])?.first ?? []
        let email = (item["emails"] as? [[String: Any]])?.compactMap { ($0["email"] as? String)?.nonEmpty }.first
        let fields = PhonebookFields(
            displayName: (item["name"] as? String)?.nonEmpty, firstName: (item["given"] as? String)?.nonEmpty,
            lastName: (item["family"] as? String)?.nonEmpty, company: organization.first?.nonEmpty,
            department: organization.dropFirst().first?.nonEmpty, email: email, numbers: numbers)
        return SourceContact(externalId: id, fields: fields, scope: scope(item["scope"] as? String))
    }

    static func scope(_ name: String?) -> ContactScope? {
        switch name?.uppercased() {
        case "PRIVATE": .own
        case "SHARED": .shared
        case "INTERNAL": .internal
        default: nil
        }
    }

    static func scopeName(_ scope: ContactScope) -> String {
        switch scope {
        case .own: "PRIVATE"
        case .shared: "SHARED"
        case .internal: "INTERNAL"
        }
    }

    /// sipgate's vCard-like types: ["cell"], ["work"], ["home"], ["fax", "work"], ["other"].
    static func kind(_ types: [String]) -> EntryNumber.Kind {
        let types = Set(types.map { $0.lowercased() })
        if types.contains("fax") { return .fax }
        if types.contains("cell") || types.contains("mobile") { return .mobile }
        if types.contains("home") { return .home }
        if types.contains("other") { return .other }
        return .phone
    }

    static func types(_ kind: EntryNumber.Kind) -> [String] {
        switch kind {
        case .phone: ["work"]
        case .mobile: ["cell"]
        case .home: ["home"]
        case .fax: ["fax", "work"]
        case .other: ["other"]
        }
    }

    static func pathComponent(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? id
    }
}
