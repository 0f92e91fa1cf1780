import AsyncHTTPClient
import Foundation
import HTTPTestServer
import NIOHTTP1
import Synchronization
import SwitchboardConnectors
import Testing

/// The HTTP layer every connector uses, against a real loopback HTTP server:
/// retries, Retry-After, OAuth refresh, and refusals in the vendor's words.
@Suite("RemoteAPI")
struct RemoteAPITests {
    /// A fast policy so retries do not slow the suite down.
    static var quick: RetryPolicy {
        var policy = RetryPolicy()
        policy.baseDelay = .milliseconds(5)
        policy.maxDelay = .milliseconds(20)
        policy.maxRetryAfter = .seconds(5)
        return policy
    }

    func withAPI<T>(auth: RemoteAuth = .none, limiter: RateLimiter? = nil,
                    _ body: (HTTPTestServer, RemoteAPI) async throws -> T) async throws -> T {
        let server = try await HTTPTestServer.start()
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        let context = ConnectorContext(settings: [:], credentials: [:], http: http, timeout: .seconds(5), localDirectory: nil,
                                       temporaryDirectory: NSTemporaryDirectory())
        let api = RemoteAPI(system: "Acme CRM", baseURL: server.baseURL + "/v1/", auth: auth, context: context, limiter: limiter,
                            retry: Self.quick)
        do {
            let result = try await body(server, api)
            try await http.shutdown()
            try await server.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            try? await server.shutdown()
            throw error
        }
    }

    @Test("5xx answers are retried; the third attempt's answer is returned")
    func retriesServerErrors() async throws {
        try await withAPI { server, api in
            let calls = Atomic<Int>(0)
            server.route("/v1/persons") { _ in
                calls.add(1, ordering: .relaxed).oldValue < 2 ? .text("overloaded", status: 503) : .json(#"{"success":true}"#)
            }
            let response = try await api.send(RemoteRequest(.GET, "/persons", query: [("limit", "2")]))
            #expect(response.status == 200)
            #expect(response.text == #"{"success":true}"#)
            #expect(server.requests.count == 3)
            #expect(server.requests.allSatisfy { $0.query == "limit=2" })
        }
    }

    @Test("5xx on every attempt fails with the status and the body verbatim")
    func serverErrorsGiveUp() async throws {
        try await withAPI { server, api in
            server.route("/v1/persons") { _ in .text("database on fire", status: 502) }
            let error = try await #require(throws: ConnectorError.self) { try await api.send(RemoteRequest(.GET, "/persons")) }
            #expect(error.kind == .remote)
            #expect(error.status == 502)
            #expect(error.system == "Acme CRM")
            #expect(error.systemMessage == "database on fire")
            #expect(error.message.contains("Acme CRM answered 502"))
            #expect(server.requests.count == RetryPolicy().attempts)
        }
    }

    @Test("429 waits for Retry-After, then succeeds")
    func honoursRetryAfter() async throws {
        try await withAPI { server, api in
            let calls = Atomic<Int>(0)
            server.route("/v1/persons") { _ in
                if calls.add(1, ordering: .relaxed).oldValue == 0 {
                    var response = HTTPTestResponse.json(#"{"success":false,"error":"Rate limit exceeded"}"#, status: 429)
                    response.headers.append(("Retry-After", "1"))
                    return response
                }
                return .json("{}")
            }
            let clock = ContinuousClock()
            let start = clock.now
            let response = try await api.send(RemoteRequest(.GET, "/persons"))
            #expect(response.status == 200)
            #expect(clock.now - start >= .milliseconds(950))  // it waited as told, not its own short backoff
            #expect(server.requests.count == 2)
        }
    }

    @Test("a 429 asking for longer than the policy allows fails at once with the vendor's words")
    func longRetryAfterFails() async throws {
        try await withAPI { server, api in
            server.route("/v1/persons") { _ in
                var response = HTTPTestResponse.json(#"{"success":false,"error":"Daily token budget used up"}"#, status: 429)
                response.headers.append(("Retry-After", "86400"))
                return response
            }
            let error = try await #require(throws: ConnectorError.self) { try await api.send(RemoteRequest(.GET, "/persons")) }
            #expect(error.status == 429)
            #expect(error.systemMessage == "Daily token budget used up")
            #expect(server.requests.count == 1)
        }
    }

    @Test("401 is a credentials problem, with the system's own message; 4xx are refusals, not retried")
    func refusals() async throws {
        try await withAPI(auth: .query(name: "api_token", value: "t0k3n")) { server, api in
            server.route("/v1/persons") { _ in
                .json(#"{"success":false,"error":"unauthorized access","errorCode":401,"error_info":"Please check developers.pipedrive.com"}"#, status: 401)
            }
            server.route("POST", "/v1/deals") { _ in .json(#"{"message":"title is required"}"#, status: 400) }
            let unauthorized = try await #require(throws: ConnectorError.self) { try await api.send(RemoteRequest(.GET, "/persons")) }
            #expect(unauthorized.kind == .unauthorized)
            #expect(unauthorized.systemMessage == "unauthorized access")
            #expect(unauthorized.message.contains("interfaces.setCredentials"))
            #expect(server.requests.first?.query == "api_token=t0k3n")

            let refused = try await #require(throws: ConnectorError.self) {
                try await api.send(try .json(.POST, "/deals", ["value": 1]))
            }
            #expect(refused.kind == .remote)
            #expect(refused.status == 400)
            #expect(refused.message == "Acme CRM answered 400 to POST /deals: title is required")
            #expect(server.requests.filter { $0.method == "POST" }.count == 1)
            #expect(server.requests.last?.header("Content-Type") == "application/json")
        }
    }

    @Test("Basic auth and query values are encoded as the vendors expect")
    func basicAuthAndQueryEncoding() async throws {
        try await withAPI(auth: .basic(user: "token-id", password: "sëcret:1")) { server, api in
            server.route("/v1/contacts") { _ in .json("{}") }
            _ = try await api.send(RemoteRequest(.GET, "/contacts", query: [("phonenumbers", "+49 30/1"), ("q", "Müller & Söhne")]))
            let request = try #require(server.requests.first)
            #expect(request.header("Authorization") == "Basic " + Data("token-id:sëcret:1".utf8).base64EncodedString())
            #expect(request.query == "phonenumbers=%2B49%2030%2F1&q=M%C3%BCller%20%26%20S%C3%B6hne")
        }
    }

    @Test("a server that cannot be reached is 'unreachable', after the retries")
    func unreachable() async throws {
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        let context = ConnectorContext(settings: [:], credentials: [:], http: http, timeout: .seconds(2), localDirectory: nil,
                                       temporaryDirectory: NSTemporaryDirectory())
        // Port 9 (discard) on loopback: nothing listens there, the connection is refused.
        let api = RemoteAPI(system: "Acme CRM", baseURL: "http://127.0.0.1:9", auth: .none, context: context, retry: Self.quick)
        let error = await #expect(throws: ConnectorError.self) { try await api.send(RemoteRequest(.GET, "/x")) }
        try await http.shutdown()
        #expect(error?.kind == .unreachable)
        #expect(error?.system == "Acme CRM")
    }

    @Test("OAuth: a token about to expire is refreshed first; a rotated refresh token is stored and used")
    func oauthRefreshBeforeExpiry() async throws {
        let stored = TokenLog()
        try await withAPIAndOAuth(expiresIn: 30, stored: stored) { server, api in
            server.route("/v1/me") { request in
                request.header("Authorization") == "Bearer access-1" ? .json(#"{"ok":true}"#) : .json(#"{"error":"invalid token"}"#, status: 401)
            }
            let response = try await api.send(RemoteRequest(.GET, "/me"))
            #expect(response.status == 200)
            let token = try #require(server.requests.first { $0.path == "/oauth/token" })
            #expect(token.header("Authorization") == "Basic " + Data("client:shh".utf8).base64EncodedString())
            #expect(String(decoding: token.body, as: UTF8.self) == "grant_type=refresh_token&refresh_token=refresh-0")
            #expect(stored.tokens.withLock { $0 }.map(\.refreshToken) == ["refresh-1"])
            #expect(server.requests.filter { $0.path == "/v1/me" }.count == 1)  // no wasted call with the old token
        }
    }

    @Test("OAuth: a 401 refreshes once and retries; a second 401 is a credentials problem, not a loop")
    func oauthRefreshOn401() async throws {
        let stored = TokenLog()
        try await withAPIAndOAuth(expiresIn: 3_600, stored: stored) { server, api in
            server.route("/v1/me") { request in
                request.header("Authorization") == "Bearer access-1" ? .json(#"{"ok":true}"#) : .json(#"{"error":"token expired"}"#, status: 401)
            }
            server.route("/v1/admin") { _ in .json(#"{"error":"token expired"}"#, status: 401) }
            #expect(try await api.send(RemoteRequest(.GET, "/me")).status == 200)
            #expect(stored.tokens.withLock { $0.count } == 1)

            let error = try await #require(throws: ConnectorError.self) { try await api.send(RemoteRequest(.GET, "/admin")) }
            #expect(error.kind == .unauthorized)
            #expect(server.requests.filter { $0.path == "/v1/admin" }.count == 2)
            #expect(stored.tokens.withLock { $0.count } == 2)
        }
    }

    @Test("OAuth: a refresh token the server no longer accepts means new credentials are needed")
    func oauthDeadRefreshToken() async throws {
        let stored = TokenLog()
        try await withAPIAndOAuth(expiresIn: 0, stored: stored, refreshAccepted: false) { server, api in
            server.route("/v1/me") { _ in .json("{}") }
            let error = try await #require(throws: ConnectorError.self) { try await api.send(RemoteRequest(.GET, "/me")) }
            #expect(error.kind == .unauthorized)
            #expect(error.message.contains("refresh_token is invalid"))
            #expect(stored.tokens.withLock { $0.isEmpty })
            #expect(!server.requests.contains { $0.path == "/v1/me" })
        }
    }

    @Test("the rate limiter spaces requests to its rate")
    func rateLimiter() async throws {
        try await withAPI(limiter: RateLimiter(perSecond: 10, burst: 1)) { server, api in
            server.route("/v1/ping") { _ in .json("{}") }
            let clock = ContinuousClock()
            let start = clock.now
            for _ in 0..<6 { _ = try await api.send(RemoteRequest(.GET, "/ping")) }
            #expect(clock.now - start >= .milliseconds(450))  // 5 waits of 100 ms after the first
            #expect(server.requests.count == 6)
        }
    }

    /// An API whose OAuth token endpoint lives on the same test server; refresh tokens rotate.
    func withAPIAndOAuth(expiresIn: Int, stored: TokenLog, refreshAccepted: Bool = true,
                         _ body: (HTTPTestServer, RemoteAPI) async throws -> Void) async throws {
        let server = try await HTTPTestServer.start()
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        let issued = Atomic<Int>(0)
        server.route("POST", "/oauth/token") { request in
            guard refreshAccepted else {
                return .json(#"{"error":"invalid_grant","error_description":"refresh_token is invalid or it was already exchanged"}"#, status: 400)
            }
            let n = issued.add(1, ordering: .relaxed).newValue
            _ = request
            return .json(#"{"access_token":"access-\#(n)","token_type":"Bearer","expires_in":3600,"refresh_token":"refresh-\#(n)"}"#)
        }
        let context = ConnectorContext(settings: [:], credentials: [:], http: http, timeout: .seconds(5), localDirectory: nil,
                                       temporaryDirectory: NSTemporaryDirectory())
        let session = OAuthSession(
            system: "Acme CRM",
            tokens: .init(accessToken: "access-0", refreshToken: "refresh-0", expiresAt: Date().addingTimeInterval(TimeInterval(expiresIn))),
            client: .init(tokenURL: server.baseURL + "/oauth/token", clientId: "client", clientSecret: "shh"),
            http: http, timeout: .seconds(5)
        ) { tokens in stored.tokens.withLock { $0.append(tokens) } }
        let api = RemoteAPI(system: "Acme CRM", baseURL: server.baseURL + "/v1", auth: .oauth(session), context: context, retry: Self.quick)
        do {
            try await body(server, api)
        } catch {
            try? await http.shutdown()
            try? await server.shutdown()
            throw error
        }
        try await http.shutdown()
        try await server.shutdown()
    }
}

/// What `onRefresh` was handed, in order.
final class TokenLog: Sendable {
    let tokens = Mutex<[OAuthSession.Tokens]>([])
}
