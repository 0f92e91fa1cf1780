import Foundation
import HTTPTestServer
import Synchronization

/// The HTTP side of `PipedriveSimulator`: authentication, the persons and organizations
/// endpoints (reads here, writes in `PipedriveAPI+Writes.swift`), the OAuth token endpoint.
/// Separate from the simulator so that the route closures do not hold the simulator (a cycle).
final class PipedriveAPI: SimulatedAPI {
    enum Access { case read, write }

    let options: PipedriveSimulator.Options
    let clock: SimulatorClock
    let oauth: OAuthAuthority
    let faults = FaultInjector()
    let dataset = Mutex(PipedriveDataset())
    let apiTokens = Mutex([String: PipedriveSimulator.APIToken]())

    init(options: PipedriveSimulator.Options) {
        self.options = options
        clock = SimulatorClock(options.clock)
        oauth = OAuthAuthority(policy: options.oauthPolicy, clock: clock, tokenPrefix: "pipedrive")
    }

    /// The routes under "/v1" (api.pipedrive.com) and "/api/v1" (the company domain and OAuth's
    /// `api_domain`), and the token endpoint at "/oauth/token".
    func install(on server: HTTPTestServer) {
        for prefix in ["/v1", "/api/v1"] {
            server.route("GET", prefix + "/persons") { [self] in serveAPI($0, list) }
            server.route("GET", prefix + "/persons/collection") { [self] in serveAPI($0, collection) }
            server.route("GET", prefix + "/persons/search") { [self] in serveAPI($0, search) }
            server.route("GET", prefix + "/persons/{id}") { [self] in serveAPI($0, person) }
            server.route("POST", prefix + "/persons") { [self] in serveAPI($0, create) }
            server.route("PUT", prefix + "/persons/{id}") { [self] in serveAPI($0, update) }
            server.route("DELETE", prefix + "/persons/{id}") { [self] in serveAPI($0, delete) }
            server.route("GET", prefix + "/organizations/{id}") { [self] in serveAPI($0, organization) }
        }
        installOrganizationsAndUsers(on: server)
        let apiDomain = server.baseURL
        server.route("POST", PipedriveSimulator.tokenPath) { [self] request in
            serveTokenEndpoint(request) { oauth.tokenResponse(to: $0, style: .pipedrive(apiDomain: apiDomain)) }
        }
        server.fallback { _ in PipedriveJSON.error(404, "Not found") }
    }

    // MARK: - Reads

    /// `GET /persons?start=&limit=`: active persons by id, offset-paged.
    private func list(_ request: HTTPTestRequest) -> HTTPTestResponse {
        if let denied = authorize(request, .read) { return denied }
        guard let (start, limit) = offsetPaging(request.parameters) else {
            return PipedriveJSON.error(400, "Invalid pagination parameters")
        }
        let (page, context) = dataset.withLock { dataset in
            (dataset.activePage(start: start, limit: limit), self.context(dataset))
        }
        let data = page.persons.isEmpty && options.emptyListDataIsNull
            ? nil : page.persons.map { PipedriveJSON.Person(person: $0, context: context) }
        return .encoded(PipedriveJSON.Envelope(
            data: data,
            additionalData: PipedriveJSON.PaginationData(
                pagination: .init(start: start, limit: limit, more: page.more))))
    }

    /// `GET /persons/collection?cursor=&limit=&since=&until=`: cursor-paged by id, filtered on
    /// `update_time`; deleted persons included (`active_flag` false, `delete_time` set) unless
    /// `Options.collectionIncludesDeleted` is off. Global admins only.
    private func collection(_ request: HTTPTestRequest) -> HTTPTestResponse {
        if let denied = authorize(request, .read, globalAdminOnly: true) { return denied }
        let parameters = request.parameters
        guard let limit = Self.integer(parameters["limit"], default: options.defaultLimit), limit >= 1 else {
            return PipedriveJSON.error(400, "Invalid limit")
        }
        var afterID = 0
        if let cursor = parameters["cursor"], !cursor.isEmpty {
            guard let id = PipedriveCursor.decode(cursor) else { return PipedriveJSON.error(400, "Invalid cursor") }
            afterID = id
        }
        let since = parameters["since"].map(PipedriveTime.parse)
        let until = parameters["until"].map(PipedriveTime.parse)
        if since == .some(nil) || until == .some(nil) {
            return PipedriveJSON.error(400, "Invalid date format, expected YYYY-MM-DD HH:MM:SS")
        }
        let pageSize = min(limit, options.maxLimit)
        let page = dataset.withLock { dataset in
            dataset.collectionPage(
                afterID: afterID, limit: pageSize, since: since ?? nil, until: until ?? nil,
                includeDeleted: options.collectionIncludesDeleted)
        }
        let next = page.more ? page.persons.last.map { PipedriveCursor.encode($0.id) } : nil
        return .encoded(PipedriveJSON.Envelope(
            data: page.persons.map(PipedriveJSON.CollectionPerson.init),
            additionalData: PipedriveJSON.CursorData(nextCursor: next)))
    }

    /// `GET /persons/{id}`: also a deleted (not yet purged) person, with `active_flag` false.
    private func person(_ request: HTTPTestRequest) -> HTTPTestResponse {
        if let denied = authorize(request, .read) { return denied }
        guard let id = request.pathParameters["id"].flatMap({ Int($0) }) else {
            return PipedriveJSON.error(404, "Person not found")
        }
        let found = dataset.withLock { dataset in dataset.person(id).map { ($0, self.context(dataset)) } }
        guard let (person, context) = found else { return PipedriveJSON.error(404, "Person not found") }
        return .encoded(PipedriveJSON.Envelope(
            data: PipedriveJSON.Person(person: person, context: context), additionalData: PipedriveJSON.NoAdditionalData?.none))
    }

    /// `GET /persons/search?term=&fields=&exact_match=&organization_id=&start=&limit=`.
    private func search(_ request: HTTPTestRequest) -> HTTPTestResponse {
        if let denied = authorize(request, .read) { return denied }
        let parameters = request.parameters
        let exact = ["true", "1"].contains(parameters["exact_match"]?.lowercased() ?? "")
        guard let term = parameters["term"], term.count >= (exact ? 1 : 2) else {
            return PipedriveJSON.error(400, "Search term must be at least \(exact ? 1 : 2) characters long")
        }
        guard let (start, limit) = offsetPaging(parameters) else {
            return PipedriveJSON.error(400, "Invalid pagination parameters")
        }
        let requested = Set((parameters["fields"] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        })
        let fields = requested.isEmpty ? ["name", "phone", "email"] : requested
        let organizationID = parameters["organization_id"].flatMap { Int($0) }
        let (hits, organizations) = dataset.withLock { dataset in
            (dataset.search(term: term, fields: fields, exact: exact, organizationID: organizationID), dataset.organizations)
        }
        let page = start < hits.count ? Array(hits[start..<min(hits.count, start + limit)]) : []
        let items = page.map { person in
            PipedriveJSON.SearchHit(
                person: person, score: exact ? 1 : 0.5, organization: person.orgID.flatMap { organizations[$0] })
        }
        return .encoded(PipedriveJSON.Envelope(
            data: PipedriveJSON.SearchItems(items: items),
            additionalData: PipedriveJSON.PaginationData(
                pagination: .init(start: start, limit: limit, more: start + limit < hits.count))))
    }

    /// `GET /organizations/{id}`.
    private func organization(_ request: HTTPTestRequest) -> HTTPTestResponse {
        if let denied = authorize(request, .read) { return denied }
        let id = request.pathParameters["id"].flatMap { Int($0) }
        let found = dataset.withLock { dataset in
            id.flatMap { dataset.organizations[$0] }.map { ($0, self.context(dataset)) }
        }
        guard let (organization, context) = found else { return PipedriveJSON.error(404, "Organization not found") }
        return .encoded(PipedriveJSON.Envelope(
            data: PipedriveJSON.Organization(organization: organization, context: context),
            additionalData: PipedriveJSON.NoAdditionalData?.none))
    }

    // MARK: - Authentication

    /// nil when the request may go on. `api_token` (query) grants everything; a Bearer token
    /// needs "contacts:read" or "contacts:full" to read, "contacts:full" to write.
    func authorize(_ request: HTTPTestRequest, _ access: Access, globalAdminOnly: Bool = false) -> HTTPTestResponse? {
        let scopes: Set<String>
        let isGlobalAdmin: Bool
        if let token = request.parameters["api_token"] {
            guard let known = apiTokens.withLock({ $0[token] }) else { return response(for: .unauthorized, rate: nil) }
            scopes = ["contacts:full"]
            isGlobalAdmin = known.isGlobalAdmin
        } else if case .bearer(let accessToken)? = Authorization(request.header("Authorization")),
            case .valid(let granted) = oauth.check(accessToken: accessToken)
        {
            scopes = granted
            isGlobalAdmin = options.oauthUserIsGlobalAdmin
        } else {
            return response(for: .unauthorized, rate: nil)
        }
        let allowed = access == .read ? scopes.contains("contacts:read") || scopes.contains("contacts:full")
            : scopes.contains("contacts:full")
        guard allowed else { return PipedriveJSON.error(403, "Scope and URL mismatch") }
        guard !globalAdminOnly || isGlobalAdmin else {
            return PipedriveJSON.error(403, "Only global admins can access this endpoint")
        }
        return nil
    }

    // MARK: - SimulatedAPI

    func response(for fault: SimulatedFault, rate: RateLimitStatus?) -> HTTPTestResponse {
        if let generic = fault.genericResponse { return generic }
        switch fault {
        case .rateLimited(let retryAfter):
            var response = PipedriveJSON.error(429, "Request over limit")
            response.headers.append(("Retry-After", String(retryAfter)))
            if rate == nil {
                let advertised = RateLimitStatus(
                    limit: faults.rateLimit?.requests ?? options.advertisedRateLimit, remaining: 0,
                    resetSeconds: retryAfter, isExceeded: true)
                response.headers.append(contentsOf: rateLimitHeaders(advertised))
            }
            return response
        default:
            return PipedriveJSON.error(401, "unauthorized access")
        }
    }

    /// Pipedrive's `x-ratelimit-*` headers ⚠ (reset: seconds until the window ends).
    func rateLimitHeaders(_ rate: RateLimitStatus) -> [(String, String)] {
        [
            ("x-ratelimit-limit", String(rate.limit)),
            ("x-ratelimit-remaining", String(rate.remaining)),
            ("x-ratelimit-reset", String(rate.resetSeconds)),
        ]
    }

    // MARK: - Helpers

    /// What rendering needs from the dataset, taken under its lock.
    func context(_ dataset: PipedriveDataset) -> PipedriveJSON.Context {
        PipedriveJSON.Context(
            organizations: dataset.organizations, users: dataset.users, peopleCount: dataset.peopleCount,
            placeholderForEmptyFields: options.emptyFieldPlaceholders)
    }

    /// `start` (default 0) and `limit` (default `Options.defaultLimit`, capped at `maxLimit`).
    private func offsetPaging(_ parameters: FormParameters) -> (Int, Int)? {
        guard let start = Self.integer(parameters["start"], default: 0), start >= 0,
            let limit = Self.integer(parameters["limit"], default: options.defaultLimit), limit >= 1
        else { return nil }
        return (start, min(limit, options.maxLimit))
    }

    static func integer(_ text: String?, default value: Int) -> Int? {
        guard let text, !text.isEmpty else { return value }
        return Int(text)
    }
}

/// The opaque cursor of `/persons/collection`: base64 of `{"id":N}` without padding, like
/// Pipedrive's documented example "eyJpZCI6MTAwfQ"; the next page starts after person N.
enum PipedriveCursor {
    static func encode(_ id: Int) -> String {
        Data("{\"id\":\(id)}".utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String) -> Int? {
        let padded = cursor + String(repeating: "=", count: (4 - cursor.count % 4) % 4)
        guard let data = Data(base64Encoded: padded),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let id = object["id"] as? Int, id >= 0
        else { return nil }
        return id
    }
}
