import HTTPTestServer

/// sipgate's REST API v2 contacts endpoints on loopback, for connector tests and benchmarks.
///
/// ```swift
/// let sipgate = try await SipgateSimulator.start()
/// sipgate.seed(count: 200_000)
/// // connector: GET \(sipgate.baseURL)/contacts?limit=5000&offset=0
/// //   with Authorization: Basic base64(tokenID:token) of sipgate.defaultToken
/// try await sipgate.shutdown()
/// ```
///
/// Served: `GET /v2/contacts?limit=&offset=&phonenumbers=` (limit default 5000, `totalCount`
/// is the number of matching contacts), `POST /v2/contacts`, `PUT` and `DELETE
/// /v2/contacts/{contactId}` (empty bodies), and the Keycloak token endpoint at `tokenURL`.
/// Credentials: a personal access token as HTTP Basic (`tokenID:token`) or an OAuth access
/// token as Bearer; reads need the scope "contacts:read", writes "contacts:write" ⚠ ("all" grants
/// both); no or bad credentials answer 401, a missing scope 403, both without a body ⚠.
///
/// How a client learns a new contact's id: sipgate's `POST /contacts` returns no body, so a
/// connector must look the contact up afterwards (`GET /contacts?phonenumbers=<its number>`, or
/// the next full list). `Options.locationOnCreate` adds a `Location` header for tests of a
/// connector that would use one when present; off by default, as sipgate documents none.
public final class SipgateSimulator: Sendable {
    /// Choices where sipgate's documentation is silent (⚠) or a test needs another setting.
    public struct Options: Sendable {
        /// Where the simulator's clock (token expiry) starts.
        public var clock: SimulatorClock.Start = .wall
        /// `limit` when the request has none (documented: 5000).
        public var defaultLimit = 5000
        /// A cap on `limit` (none documented ⚠): nil serves whatever is asked.
        public var maxLimit: Int? = nil
        /// The status of the (bodiless) answers to POST, PUT and DELETE ⚠.
        public var writeStatus = 204
        /// Whether `POST /contacts` answers with `Location: /v2/contacts/{id}` (not documented ⚠).
        public var locationOnCreate = false
        /// OAuth token lifetimes: access tokens "live a few minutes" (300 s here ⚠), refresh
        /// tokens rotate and a used one is rejected ⚠ (Keycloak can be set up either way).
        public var oauthPolicy = OAuthAuthority.Policy(accessTokenLifetime: 300)

        public init() {}
    }

    /// A personal access token: its id and secret are sent as HTTP Basic user and password.
    public struct PersonalAccessToken: Sendable, Equatable {
        public var tokenID: String
        public var token: String
        /// e.g. ["contacts:read"] for a read-only token, or ["all"].
        public var scopes: Set<String>

        public init(tokenID: String, token: String, scopes: Set<String>) {
            self.tokenID = tokenID
            self.token = token
            self.scopes = scopes
        }
    }

    /// Keycloak's token path, as under https://login.sipgate.com.
    public static let tokenPath = "/auth/realms/third-party/protocol/openid-connect/token"

    /// Accepted from the start: scopes "contacts:read" and "contacts:write".
    public let defaultToken = PersonalAccessToken(
        tokenID: "token-SIM001", token: "sipgate-simulator-token", scopes: ["contacts:read", "contacts:write"])
    /// Registered from the start, with the same scopes.
    public let defaultClient = OAuthAuthority.Client(
        id: "sipgate-simulator-client", secret: "sipgate-simulator-secret", scopes: ["contacts:read", "contacts:write"])

    private let server: HTTPTestServer
    private let api: SipgateAPI

    /// Starts the simulator on 127.0.0.1 and a free port.
    public static func start(options: Options = Options()) async throws -> SipgateSimulator {
        let server = try await HTTPTestServer.start()
        return SipgateSimulator(server: server, api: SipgateAPI(options: options))
    }

    private init(server: HTTPTestServer, api: SipgateAPI) {
        self.server = server
        self.api = api
        api.install(on: server)
        api.tokens.withLock { $0[defaultToken.tokenID] = defaultToken }
        api.oauth.register(defaultClient)
    }

    /// "http://127.0.0.1:PORT/v2", as "https://api.sipgate.com/v2".
    public var baseURL: String { server.baseURL + "/v2" }
    /// The OAuth token endpoint (form-encoded POST).
    public var tokenURL: String { server.baseURL + Self.tokenPath }
    /// Every request received, in order: method, path, query, headers, body.
    public var requests: [HTTPTestRequest] { server.requests }
    /// Token expiry runs on this clock.
    public var clock: SimulatorClock { api.clock }
    /// OAuth clients and tokens (register clients, issue tokens directly, expire them).
    public var oauth: OAuthAuthority { api.oauth }
    /// Faults for the next requests, and the rate limit.
    public var faults: FaultInjector { api.faults }

    /// Closes the port and every connection.
    public func shutdown() async throws {
        try await server.shutdown()
    }

    // MARK: - Credentials

    /// Accepts (or replaces) a personal access token.
    public func addToken(_ token: PersonalAccessToken) {
        api.tokens.withLock { $0[token.tokenID] = token }
    }

    /// Revokes a personal access token: requests with it answer 401.
    public func removeToken(id tokenID: String) {
        api.tokens.withLock { _ = $0.removeValue(forKey: tokenID) }
    }

    // MARK: - Data, as changed on sipgate's side

    /// Adds a contact at the end of the list; returns its id (generated when `contact.id` is
    /// empty; an existing id replaces that contact).
    @discardableResult
    public func add(_ contact: SipgateContact) -> String {
        api.dataset.withLock { $0.insert(contact) }
    }

    /// Appends `count` generated contacts ("Contact 00000001", number "+493000000001", …, in
    /// sequence across calls) and returns their ids.
    @discardableResult
    public func seed(count: Int, scope: SipgateContact.Scope = .shared) -> [String] {
        api.dataset.withLock { $0.seed(count, scope: scope) }
    }

    public func contact(_ id: String) -> SipgateContact? {
        api.dataset.withLock { $0.contact(id) }
    }

    /// Changes a contact in place; false when there is none with this id.
    @discardableResult
    public func update(_ id: String, _ change: (inout SipgateContact) -> Void) -> Bool {
        api.dataset.withLock { dataset in
            guard var contact = dataset.contact(id) else { return false }
            change(&contact)
            contact.id = id
            return dataset.replace(contact)
        }
    }

    /// Deletes a contact (sipgate deletes for good); false when there is none.
    @discardableResult
    public func remove(_ id: String) -> Bool {
        api.dataset.withLock { $0.remove(id) }
    }

    public func removeAll() {
        api.dataset.withLock { $0.removeAll() }
    }

    /// Every contact, in list order.
    public var contacts: [SipgateContact] { api.dataset.withLock { $0.contacts } }
    public var contactCount: Int { api.dataset.withLock { $0.count } }
}
