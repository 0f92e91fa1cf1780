import ConnectorSimulators
import Foundation
import Testing

/// Both simulators' token endpoints over real HTTP: refresh, rotation, expiry, errors.
@Suite("OAuth token endpoints")
struct OAuthTokenEndpointTests {
    @Test("Pipedrive: refresh with Basic client auth rotates the refresh token; a used one is rejected")
    func pipedriveRefresh() async throws {
        let pipedrive = try await PipedriveSimulator.start()
        let client = pipedrive.defaultClient
        let clientAuth = HTTP.basic(client.id, client.secret)
        let first = try #require(pipedrive.oauth.issueTokens(for: client.id))

        let refreshed = try await HTTP.postForm(
            pipedrive.tokenURL, [("grant_type", "refresh_token"), ("refresh_token", first.refreshToken)], headers: clientAuth)
        #expect(refreshed.status == 200)
        let body = try refreshed.json()
        let access = try #require(body["access_token"] as? String)
        let refresh = try #require(body["refresh_token"] as? String)
        #expect(body["token_type"] as? String == "Bearer")
        #expect(body["expires_in"] as? Int == 3600)
        #expect(body["scope"] as? String == "base,contacts:full")
        #expect(body["api_domain"] as? String == pipedrive.companyBaseURL.replacingOccurrences(of: "/api/v1", with: ""))
        #expect(refresh != first.refreshToken)
        #expect(access != first.accessToken)
        #expect(try await HTTP.get("\(pipedrive.companyBaseURL)/persons", headers: HTTP.bearer(access)).status == 200)

        // The exchanged refresh token is spent.
        let reused = try await HTTP.postForm(
            pipedrive.tokenURL, [("grant_type", "refresh_token"), ("refresh_token", first.refreshToken)], headers: clientAuth)
        #expect(reused.status == 400)
        #expect(try reused.json()["error"] as? String == "invalid_grant")

        // Expiry, then refresh with the newest token: a working access token again.
        pipedrive.clock.advance(by: 3600)
        #expect(try await HTTP.get("\(pipedrive.baseURL)/persons", headers: HTTP.bearer(access)).status == 401)
        let again = try await HTTP.postForm(
            pipedrive.tokenURL, [("grant_type", "refresh_token"), ("refresh_token", refresh)], headers: clientAuth)
        let newAccess = try #require(try again.json()["access_token"] as? String)
        #expect(try await HTTP.get("\(pipedrive.baseURL)/persons", headers: HTTP.bearer(newAccess)).status == 200)
        #expect(pipedrive.requests.last { $0.path == "/oauth/token" }?.header("content-type") == "application/x-www-form-urlencoded")
        try await pipedrive.shutdown()
    }

    @Test("Pipedrive: client authentication, form encoding and grant types are checked")
    func pipedriveErrors() async throws {
        let pipedrive = try await PipedriveSimulator.start()
        let client = pipedrive.defaultClient
        let tokens = try #require(pipedrive.oauth.issueTokens(for: client.id))
        let form = [("grant_type", "refresh_token"), ("refresh_token", tokens.refreshToken)]

        let wrongSecret = try await HTTP.postForm(pipedrive.tokenURL, form, headers: HTTP.basic(client.id, "nope"))
        #expect(wrongSecret.status == 401)
        #expect(try wrongSecret.json()["error"] as? String == "invalid_client")
        // Pipedrive takes the client only as HTTP Basic, not as form fields.
        let inBody = try await HTTP.postForm(pipedrive.tokenURL, form + [("client_id", client.id), ("client_secret", client.secret)])
        #expect(inBody.status == 401)
        let json = try await HTTP.sendJSON(
            "POST", pipedrive.tokenURL, ["grant_type": "refresh_token", "refresh_token": tokens.refreshToken],
            headers: HTTP.basic(client.id, client.secret))
        #expect(json.status == 400)
        #expect(try json.json()["error"] as? String == "invalid_request")
        let password = try await HTTP.postForm(pipedrive.tokenURL, [("grant_type", "password")], headers: HTTP.basic(client.id, client.secret))
        #expect(try password.json()["error"] as? String == "unsupported_grant_type")

        // authorization_code: single use, and bound to the redirect URI.
        let code = pipedrive.oauth.issueAuthorizationCode(for: client.id, redirectURI: "https://app.example/callback")
        let wrongRedirect = try await HTTP.postForm(
            pipedrive.tokenURL, [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", "https://evil.example")],
            headers: HTTP.basic(client.id, client.secret))
        #expect(wrongRedirect.status == 400)
        let exchange = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", "https://app.example/callback")]
        let granted = try await HTTP.postForm(pipedrive.tokenURL, exchange, headers: HTTP.basic(client.id, client.secret))
        #expect(granted.status == 200)
        #expect(try granted.json()["refresh_token"] is String)
        #expect(try await HTTP.postForm(pipedrive.tokenURL, exchange, headers: HTTP.basic(client.id, client.secret)).status == 400)

        // Revoked (app uninstalled): the refresh token stops working.
        pipedrive.oauth.revoke(refreshToken: tokens.refreshToken)
        #expect(try await HTTP.postForm(pipedrive.tokenURL, form, headers: HTTP.basic(client.id, client.secret)).status == 400)
        try await pipedrive.shutdown()
    }

    @Test("sipgate (Keycloak): client in the form or as Basic; short-lived access tokens; rotation")
    func sipgateRefresh() async throws {
        let sipgate = try await SipgateSimulator.start()
        #expect(sipgate.tokenURL.hasSuffix("/auth/realms/third-party/protocol/openid-connect/token"))
        let client = sipgate.defaultClient
        let first = try #require(sipgate.oauth.issueTokens(for: client.id))

        let refreshed = try await HTTP.postForm(sipgate.tokenURL, [
            ("grant_type", "refresh_token"), ("refresh_token", first.refreshToken),
            ("client_id", client.id), ("client_secret", client.secret),
        ])
        #expect(refreshed.status == 200)
        let body = try refreshed.json()
        #expect(body["token_type"] as? String == "Bearer")
        #expect(body["expires_in"] as? Int == 300)
        #expect(body["refresh_expires_in"] is Int)
        #expect(body["scope"] as? String == "contacts:read contacts:write")
        let access = try #require(body["access_token"] as? String)
        let refresh = try #require(body["refresh_token"] as? String)
        #expect(try await HTTP.get("\(sipgate.baseURL)/contacts", headers: HTTP.bearer(access)).status == 200)

        let reused = try await HTTP.postForm(
            sipgate.tokenURL, [("grant_type", "refresh_token"), ("refresh_token", first.refreshToken)],
            headers: HTTP.basic(client.id, client.secret))
        #expect(reused.status == 400)
        #expect(try reused.json()["error"] as? String == "invalid_grant")
        let basic = try await HTTP.postForm(
            sipgate.tokenURL, [("grant_type", "refresh_token"), ("refresh_token", refresh)],
            headers: HTTP.basic(client.id, client.secret))
        #expect(basic.status == 200)

        // Reuse can be allowed (Keycloak without "revoke refresh token").
        var policy = sipgate.oauth.policy
        policy.rejectsReusedRefreshToken = false
        sipgate.oauth.policy = policy
        let lenient = try #require(sipgate.oauth.issueTokens(for: client.id))
        for _ in 0..<2 {
            let response = try await HTTP.postForm(
                sipgate.tokenURL, [("grant_type", "refresh_token"), ("refresh_token", lenient.refreshToken)],
                headers: HTTP.basic(client.id, client.secret))
            #expect(response.status == 200)
        }
        sipgate.oauth.expireAllAccessTokens()
        #expect(try await HTTP.get("\(sipgate.baseURL)/contacts", headers: HTTP.bearer(access)).status == 401)
        try await sipgate.shutdown()
    }
}
