import Foundation
import HTTPTestServer
import Synchronization

/// The HTTP side of `SipgateSimulator`: authentication, scopes and the contacts endpoints.
/// A separate object from the simulator so that the server's route closures hold only this
/// (the simulator holds the server; closures holding the simulator would be a cycle).
final class SipgateAPI: SimulatedAPI {
    let options: SipgateSimulator.Options
    let clock: SimulatorClock
    let oauth: OAuthAuthority
    let faults = FaultInjector()
    let dataset = Mutex(SipgateDataset())
    let tokens = Mutex([String: SipgateSimulator.PersonalAccessToken]())

    init(options: SipgateSimulator.Options) {
        self.options = options
        clock = SimulatorClock(options.clock)
        oauth = OAuthAuthority(policy: options.oauthPolicy, clock: clock, tokenPrefix: "sipgate")
    }

    func install(on server: HTTPTestServer) {
        server.route("GET", "/v2/contacts") { [self] request in serveAPI(request, list) }
        server.route("POST", "/v2/contacts") { [self] request in serveAPI(request, create) }
        server.route("PUT", "/v2/contacts/{contactId}") { [self] request in serveAPI(request, update) }
        server.route("DELETE", "/v2/contacts/{contactId}") { [self] request in serveAPI(request, delete) }
        server.route("POST", SipgateSimulator.tokenPath) { [self] request in
            serveTokenEndpoint(request) { oauth.tokenResponse(to: $0, style: .keycloak) }
        }
        // Unknown paths: a bare 404, as for an unknown contact.
        server.fallback { _ in .empty(status: 404) }
    }

    // MARK: - Endpoints

    /// `GET /contacts?limit=&offset=&phonenumbers=`: `{"items":[…],"totalCount":n}`.
    private func list(_ request: HTTPTestRequest) -> HTTPTestResponse {
        if let denied = authorize(request, scope: "contacts:read") { return denied }
        let parameters = request.parameters
        guard let limit = Self.integer(parameters["limit"], default: options.defaultLimit), limit >= 0,
            let offset = Self.integer(parameters["offset"], default: 0), offset >= 0
        else { return .empty(status: 400) }
        let pageSize = options.maxLimit.map { min($0, limit) } ?? limit
        let numbers = parameters.all("phonenumbers").filter { !$0.isEmpty }
        let page = dataset.withLock { dataset in
            numbers.isEmpty
                ? dataset.page(offset: offset, limit: pageSize)
                : dataset.page(matching: numbers, offset: offset, limit: pageSize)
        }
        return .encoded(SipgateContactsPage(items: page.items, totalCount: page.total))
    }

    /// `POST /contacts`: an empty body (the new id is not returned; see `Options.locationOnCreate`).
    private func create(_ request: HTTPTestRequest) -> HTTPTestResponse {
        if let denied = authorize(request, scope: "contacts:write") { return denied }
        guard let body = Self.contactRequest(request), body.scope != .internal else { return .empty(status: 400) }
        let id = dataset.withLock { $0.insert(body.contact(id: "")) }
        var response = HTTPTestResponse.empty(status: options.writeStatus)
        if options.locationOnCreate { response.headers.append(("Location", "/v2/contacts/\(id)")) }
        return response
    }

    /// `PUT /contacts/{contactId}`: replaces the contact; INTERNAL contacts are read-only (403 ⚠).
    private func update(_ request: HTTPTestRequest) -> HTTPTestResponse {
        if let denied = authorize(request, scope: "contacts:write") { return denied }
        guard let id = request.pathParameters["contactId"] else { return .empty(status: 404) }
        guard let body = Self.contactRequest(request), body.scope != .internal else { return .empty(status: 400) }
        let status = dataset.withLock { dataset -> Int in
            guard let existing = dataset.contact(id) else { return 404 }
            guard existing.scope != .internal else { return 403 }
            _ = dataset.replace(body.contact(id: id))
            return options.writeStatus
        }
        return .empty(status: status)
    }

    /// `DELETE /contacts/{contactId}`.
    private func delete(_ request: HTTPTestRequest) -> HTTPTestResponse {
        if let denied = authorize(request, scope: "contacts:write") { return denied }
        guard let id = request.pathParameters["contactId"] else { return .empty(status: 404) }
        let status = dataset.withLock { dataset -> Int in
            guard let existing = dataset.contact(id) else { return 404 }
            guard existing.scope != .internal else { return 403 }
            _ = dataset.remove(id)
            return options.writeStatus
        }
        return .empty(status: status)
    }

    // MARK: - Authentication

    /// nil when the request may go on; else the 401 (no or bad credentials, expired token) or
    /// the 403 (the token lacks `scope`; "all" grants every scope).
    private func authorize(_ request: HTTPTestRequest, scope: String) -> HTTPTestResponse? {
        let granted: Set<String>?
        switch Authorization(request.header("Authorization")) {
        case .basic(let tokenID, let token)?:
            granted = tokens.withLock { tokens in tokens[tokenID].flatMap { $0.token == token ? $0.scopes : nil } }
        case .bearer(let accessToken)?:
            if case .valid(let scopes) = oauth.check(accessToken: accessToken) { granted = scopes } else { granted = nil }
        case nil:
            granted = nil
        }
        guard let granted else { return response(for: .unauthorized, rate: nil) }
        return granted.contains("all") || granted.contains(scope) ? nil : .empty(status: 403)
    }

    // MARK: - SimulatedAPI

    /// sipgate documents no error bodies ⚠: the faults answer with status and headers only.
    func response(for fault: SimulatedFault, rate: RateLimitStatus?) -> HTTPTestResponse {
        if let generic = fault.genericResponse { return generic }
        switch fault {
        case .rateLimited(let retryAfter):
            return HTTPTestResponse(status: 429, headers: [("Retry-After", String(retryAfter))])
        default:
            return .empty(status: 401)
        }
    }

    func rateLimitHeaders(_ rate: RateLimitStatus) -> [(String, String)] { [] }

    // MARK: - Helpers

    private static func integer(_ text: String?, default value: Int) -> Int? {
        guard let text else { return value }
        return Int(text)
    }

    private static func contactRequest(_ request: HTTPTestRequest) -> SipgateContactRequest? {
        try? JSONDecoder().decode(SipgateContactRequest.self, from: Data(request.body))
    }
}
