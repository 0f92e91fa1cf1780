import HTTPTestServer

/// Pipedrive's API v1 persons and organizations endpoints on loopback, for connector tests and
/// benchmarks.
///
/// ```swift
/// let pipedrive = try await PipedriveSimulator.start()
/// pipedrive.seed(count: 200_000)
/// // connector: GET \(pipedrive.baseURL)/persons/collection?limit=500&api_token=\(pipedrive.apiToken)
/// try await pipedrive.shutdown()
/// ```
///
/// Served under "/v1" (`baseURL`, as api.pipedrive.com/v1) and "/api/v1" (`companyBaseURL`, as
/// {company}.pipedrive.com/api/v1 and OAuth's `api_domain`):
/// - `GET /persons?start=&limit=` — active persons by id; `additional_data.pagination`
///   `{start, limit, more_items_in_collection, next_start}`; limit default 100, max 500.
/// - `GET /persons/collection?cursor=&limit=&since=&until=` — by id, `additional_data.next_cursor`
///   (null at the end); since/until on `update_time`, both inclusive ⚠; global admins only.
///   **Deletions for a delta sync**: a deleted person's `update_time` moves to the deletion time,
///   so a `since=` query returns it with `active_flag: false` and `delete_time` set (switch off
///   with `Options.collectionIncludesDeleted` to test a connector against the other reading ⚠).
///   `GET /persons` and search never show deleted persons; a purged one is gone everywhere.
/// - `GET /persons/search?term=&fields=phone&exact_match=true` — exact: whole value,
///   case-insensitive, as stored (no number normalization ⚠).
/// - `GET /persons/{id}`, `POST /persons`, `PUT /persons/{id}`, `DELETE /persons/{id}` (soft).
/// - `GET /organizations/{id}`; persons carry `org_id` as an object (`value` = id) and `org_name`.
/// - `POST /oauth/token` (`tokenURL`): form-encoded, client as HTTP Basic, grant_type
///   `refresh_token` or `authorization_code`; refresh tokens rotate, a used one is rejected.
///
/// Credentials: `api_token=` query parameter, or `Authorization: Bearer <access token>`.
/// Errors: `{"success":false,"error":…,"errorCode":…,"error_info":…}`; 401 for a bad or expired
/// token, 403 for a missing OAuth scope ("contacts:read"/"contacts:full").
public final class PipedriveSimulator: Sendable {
    /// Choices where Pipedrive's documentation is silent (⚠) or a test needs another setting.
    public struct Options: Sendable {
        /// Where the clock for `update_time` and token expiry starts.
        public var clock: SimulatorClock.Start = .wall
        /// `limit` when the request has none (documented: 100).
        public var defaultLimit = 100
        /// Larger limits are served as this (documented maximum: 500; capped rather than refused ⚠).
        public var maxLimit = 500
        /// Whether `/persons/collection` lists deleted persons (⚠, see the type's documentation).
        public var collectionIncludesDeleted = true
        /// `"phone":[{"value":"","primary":true}]` for a person without phone (email) ⚠.
        public var emptyFieldPlaceholders = true
        /// `"data":null` instead of `[]` for an empty `GET /persons` page ⚠.
        public var emptyListDataIsNull = true
        /// Whether OAuth access tokens belong to a global admin (needed for `/persons/collection`).
        public var oauthUserIsGlobalAdmin = true
        /// `x-ratelimit-limit` on an injected 429 when no `faults.rateLimit` is set ⚠.
        public var advertisedRateLimit = 80
        /// Documented: access tokens live 3600 s; refresh tokens rotate and are single-use.
        public var oauthPolicy = OAuthAuthority.Policy(accessTokenLifetime: 3600)

        public init() {}
    }

    /// A personal API token (sent as `api_token=`): all scopes; `/persons/collection` needs a
    /// global admin's token (others get 403, as documented).
    public struct APIToken: Sendable, Equatable {
        public var token: String
        public var isGlobalAdmin: Bool

        public init(_ token: String, isGlobalAdmin: Bool = true) {
            self.token = token
            self.isGlobalAdmin = isGlobalAdmin
        }
    }

    public static let tokenPath = "/oauth/token"

    /// Accepted from the start (a global admin's).
    public let apiToken = "pipedrive-simulator-token"
    /// Registered from the start, with scopes "base" and "contacts:full".
    public let defaultClient = OAuthAuthority.Client(
        id: "pipedrive-simulator-client", secret: "pipedrive-simulator-secret", scopes: ["base", "contacts:full"])

    private let server: HTTPTestServer
    let api: PipedriveAPI

    /// Starts the simulator on 127.0.0.1 and a free port.
    public static func start(options: Options = Options()) async throws -> PipedriveSimulator {
        let server = try await HTTPTestServer.start()
        return PipedriveSimulator(server: server, api: PipedriveAPI(options: options))
    }

    private init(server: HTTPTestServer, api: PipedriveAPI) {
        self.server = server
        self.api = api
        api.install(on: server)
        api.apiTokens.withLock { $0[apiToken] = APIToken(apiToken) }
        api.oauth.register(defaultClient)
    }

    /// "http://127.0.0.1:PORT/v1", as "https://api.pipedrive.com/v1".
    public var baseURL: String { server.baseURL + "/v1" }
    /// "http://127.0.0.1:PORT/api/v1", as "https://{company}.pipedrive.com/api/v1".
    public var companyBaseURL: String { server.baseURL + "/api/v1" }
    /// The OAuth token endpoint, as "https://oauth.pipedrive.com/oauth/token".
    public var tokenURL: String { server.baseURL + Self.tokenPath }
    /// Every request received, in order: method, path, query, headers, body.
    public var requests: [HTTPTestRequest] { server.requests }
    /// `update_time`, `add_time`, `delete_time` and token expiry run on this clock.
    public var clock: SimulatorClock { api.clock }
    /// OAuth clients and tokens (register clients, issue tokens directly, expire them).
    public var oauth: OAuthAuthority { api.oauth }
    /// Faults for the next requests, and the rate limit.
    public var faults: FaultInjector { api.faults }

    /// Closes the port and every connection.
    public func shutdown() async throws {
        try await server.shutdown()
    }

    /// Accepts (or replaces) an API token.
    public func addAPIToken(_ token: APIToken) {
        api.apiTokens.withLock { $0[token.token] = token }
    }

    /// Revokes an API token: requests with it answer 401.
    public func removeAPIToken(_ token: String) {
        api.apiTokens.withLock { _ = $0.removeValue(forKey: token) }
    }
}
