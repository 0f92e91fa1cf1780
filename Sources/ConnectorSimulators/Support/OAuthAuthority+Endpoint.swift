import HTTPTestServer

extension OAuthAuthority {
    /// The vendor's token endpoint conventions.
    enum EndpointStyle: Sendable {
        /// `POST https://oauth.pipedrive.com/oauth/token`: client credentials only as HTTP Basic;
        /// the answer names the `api_domain` to call with the token.
        case pipedrive(apiDomain: String)
        /// Keycloak's `…/protocol/openid-connect/token` (sipgate): client credentials as HTTP
        /// Basic or as `client_id`/`client_secret` form fields.
        case keycloak
    }

    /// Answers a token request: form-encoded, client authenticated, grant_type `refresh_token`
    /// or `authorization_code`. Errors use RFC 6749 §5.2's `{"error":…,"error_description":…}`.
    func tokenResponse(to request: HTTPTestRequest, style: EndpointStyle) -> HTTPTestResponse {
        guard request.hasFormBody else {
            return Self.error(400, "invalid_request", "token requests must be application/x-www-form-urlencoded")
        }
        let form = FormParameters(body: request.body)
        var clientID: String?
        var secret: String?
        if case .basic(let user, let password)? = Authorization(request.header("Authorization")) {
            clientID = user
            secret = password
        } else if case .keycloak = style {
            clientID = form["client_id"]
            secret = form["client_secret"]
        }
        let now = clock.now
        return state.withLock { state -> HTTPTestResponse in
            guard let clientID, let secret, let client = state.clients[clientID], client.secret == secret else {
                // RFC 6749 would add a WWW-Authenticate challenge; neither vendor documents one, and
                // a challenge makes some clients (URLSession on Linux) wait for credentials.
                return Self.error(401, "invalid_client", "client authentication failed")
            }
            switch form["grant_type"] {
            case "refresh_token"?:
                guard let token = form["refresh_token"], var grant = state.refresh[token], grant.clientID == client.id,
                    grant.expiresAt.map({ now < $0 }) ?? true,
                    !(grant.isUsed && state.policy.rejectsReusedRefreshToken)
                else {
                    return Self.error(400, "invalid_grant", "refresh_token is invalid, expired or was already exchanged")
                }
                grant.isUsed = true
                state.refresh[token] = grant
                return Self.success(issue(client: client, scopes: grant.scopes, in: &state), style: style, policy: state.policy)
            case "authorization_code"?:
                guard let code = form["code"], let grant = state.codes[code], grant.clientID == client.id,
                    now < grant.expiresAt, grant.redirectURI == nil || grant.redirectURI == form["redirect_uri"]
                else {
                    return Self.error(400, "invalid_grant", "authorization code is invalid or expired")
                }
                state.codes[code] = nil
                return Self.success(issue(client: client, scopes: client.scopes, in: &state), style: style, policy: state.policy)
            case nil:
                return Self.error(400, "invalid_request", "grant_type is missing")
            case let other?:
                return Self.error(400, "unsupported_grant_type", "grant_type \(other) is not supported")
            }
        }
    }

    private static func success(_ tokens: Tokens, style: EndpointStyle, policy: Policy) -> HTTPTestResponse {
        var body: [String: Any] = [
            "access_token": tokens.accessToken,
            "token_type": "Bearer",
            "expires_in": tokens.expiresIn,
            "refresh_token": tokens.refreshToken,
        ]
        switch style {
        case .pipedrive(let apiDomain):
            body["scope"] = tokens.scopes.sorted().joined(separator: ",")
            body["api_domain"] = apiDomain
        case .keycloak:
            body["scope"] = tokens.scopes.sorted().joined(separator: " ")
            body["refresh_expires_in"] = policy.refreshTokenLifetime ?? 0
            body["not-before-policy"] = 0
            body["session_state"] = "simulated-session"
        }
        var response = HTTPTestResponse.jsonObject(body)
        response.headers.append(("Cache-Control", "no-store"))
        return response
    }

    private static func error(_ status: Int, _ code: String, _ description: String) -> HTTPTestResponse {
        HTTPTestResponse.jsonObject(["error": code, "error_description": description], status: status)
    }
}
