import Synchronization

/// An OAuth 2.0 authorization server in miniature: registered clients, access tokens that
/// expire on the simulator's clock, refresh tokens that rotate. Each simulator owns one and
/// serves its token endpoint (see `OAuthAuthority+Endpoint.swift`).
public final class OAuthAuthority: Sendable {
    /// A registered OAuth app.
    public struct Client: Sendable, Equatable {
        public var id: String
        public var secret: String
        /// The scopes its tokens carry (sipgate: "contacts:read", "contacts:write", "all";
        /// Pipedrive: "base", "contacts:read", "contacts:full").
        public var scopes: Set<String>

        public init(id: String, secret: String, scopes: Set<String>) {
            self.id = id
            self.secret = secret
            self.scopes = scopes
        }
    }

    /// What the token endpoint hands out (and what `issueTokens(for:)` returns to a test).
    public struct Tokens: Sendable, Equatable {
        public var accessToken: String
        public var refreshToken: String
        /// Seconds the access token is valid for.
        public var expiresIn: Int
        public var scopes: Set<String>
    }

    /// Lifetimes and rotation rules.
    public struct Policy: Sendable, Equatable {
        /// Access-token lifetime in seconds (Pipedrive documents 3600; sipgate "a few minutes" ⚠).
        public var accessTokenLifetime: Int
        /// Refresh-token lifetime in seconds; nil: until used (or revoked).
        public var refreshTokenLifetime: Int?
        /// Whether an already exchanged refresh token is rejected (Pipedrive: "refresh_token is
        /// invalid … or it was already exchanged"). When false, the old one stays valid too.
        public var rejectsReusedRefreshToken: Bool
        /// Authorization codes expire after this many seconds (Pipedrive: 5 minutes).
        public var authorizationCodeLifetime: Int

        public init(
            accessTokenLifetime: Int, refreshTokenLifetime: Int? = nil,
            rejectsReusedRefreshToken: Bool = true, authorizationCodeLifetime: Int = 300
        ) {
            self.accessTokenLifetime = accessTokenLifetime
            self.refreshTokenLifetime = refreshTokenLifetime
            self.rejectsReusedRefreshToken = rejectsReusedRefreshToken
            self.authorizationCodeLifetime = authorizationCodeLifetime
        }
    }

    /// The result of checking a bearer token.
    public enum AccessCheck: Sendable, Equatable {
        case valid(scopes: Set<String>)
        case expired
        case unknown
    }

    struct AccessGrant {
        var clientID: String
        var scopes: Set<String>
        var expiresAt: Int
    }

    struct RefreshGrant {
        var clientID: String
        var scopes: Set<String>
        var expiresAt: Int?
        var isUsed = false
    }

    struct CodeGrant {
        var clientID: String
        var redirectURI: String?
        var expiresAt: Int
    }

    struct State {
        var policy: Policy
        var clients: [String: Client] = [:]
        var access: [String: AccessGrant] = [:]
        var refresh: [String: RefreshGrant] = [:]
        var codes: [String: CodeGrant] = [:]
        var serial = 0
    }

    let clock: SimulatorClock
    let tokenPrefix: String
    let state: Mutex<State>

    init(policy: Policy, clock: SimulatorClock, tokenPrefix: String) {
        self.clock = clock
        self.tokenPrefix = tokenPrefix
        self.state = Mutex(State(policy: policy))
    }

    /// The current lifetimes and rules; changes apply to tokens issued afterwards.
    public var policy: Policy {
        get { state.withLock { $0.policy } }
        set { state.withLock { $0.policy = newValue } }
    }

    /// Registers (or replaces) an OAuth app.
    public func register(_ client: Client) {
        state.withLock { $0.clients[client.id] = client }
    }

    /// Issues a token pair directly, as if the user had just authorized the app (no HTTP).
    public func issueTokens(for clientID: String) -> Tokens? {
        state.withLock { state in
            guard let client = state.clients[clientID] else { return nil }
            return issue(client: client, scopes: client.scopes, in: &state)
        }
    }

    /// A single-use authorization code for `authorization_code` grants.
    public func issueAuthorizationCode(for clientID: String, redirectURI: String? = nil) -> String {
        let now = clock.now
        return state.withLock { state in
            state.serial += 1
            let code = "\(tokenPrefix)-code-\(state.serial)"
            state.codes[code] = CodeGrant(
                clientID: clientID, redirectURI: redirectURI, expiresAt: now + state.policy.authorizationCodeLifetime)
            return code
        }
    }

    /// Checks a bearer token against the clock.
    public func check(accessToken: String) -> AccessCheck {
        let now = clock.now
        return state.withLock { state in
            guard let grant = state.access[accessToken] else { return .unknown }
            return now < grant.expiresAt ? .valid(scopes: grant.scopes) : .expired
        }
    }

    /// Expires every access token now (the next API call with one answers 401).
    public func expireAllAccessTokens() {
        let now = clock.now
        state.withLock { state in
            for key in state.access.keys { state.access[key]?.expiresAt = now }
        }
    }

    /// Revokes a refresh token (as when the user uninstalls the app).
    public func revoke(refreshToken: String) {
        state.withLock { _ = $0.refresh.removeValue(forKey: refreshToken) }
    }

    /// Creates and stores a new access/refresh pair.
    func issue(client: Client, scopes: Set<String>, in state: inout State) -> Tokens {
        let now = clock.now
        state.serial += 1
        let serial = state.serial
        let access = "\(tokenPrefix)-access-\(serial)"
        let refresh = "\(tokenPrefix)-refresh-\(serial)"
        let lifetime = state.policy.accessTokenLifetime
        state.access[access] = AccessGrant(clientID: client.id, scopes: scopes, expiresAt: now + lifetime)
        state.refresh[refresh] = RefreshGrant(
            clientID: client.id, scopes: scopes, expiresAt: state.policy.refreshTokenLifetime.map { now + $0 })
        return Tokens(accessToken: access, refreshToken: refresh, expiresIn: lifetime, scopes: scopes)
    }
}
