import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// How a connector proves who it is to its system.
public enum RemoteAuth: Sendable {
    case none
    /// HTTP Basic (sipgate personal access tokens, CardDAV, Insightly).
    case basic(user: String, password: String)
    /// A fixed bearer token.
    case bearer(String)
    /// A token in the query string (Pipedrive's `api_token`).
    case query(name: String, value: String)
    /// OAuth 2 access tokens, refreshed before they expire and once on a 401.
    case oauth(OAuthSession)
}

/// One request to a remote API, relative to the API's base URL.
public struct RemoteRequest: Sendable {
    public var method: HTTPMethod
    /// Appended to the base URL ("/persons"), or a full URL (a `next` link, a discovered CardDAV href).
    public var path: String
    public var query: [(String, String)]
    public var headers: [(String, String)]
    public var body: [UInt8]?

    public init(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], headers: [(String, String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// A JSON body (Content-Type set).
    public static func json(_ method: HTTPMethod, _ path: String, _ object: Any, query: [(String, String)] = []) throws -> RemoteRequest {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return RemoteRequest(method, path, query: query, headers: [("Content-Type", "application/json")], body: Array(data))
    }
}

/// What the system answered (the whole body: API pages are bounded).
public struct RemoteResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object; a body that is not one is the system's fault, said in words.
    public func jsonObject(system: String) throws -> [String: Any] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            throw ConnectorError(.remote, "\(system) answered \(status) with a body that is not a JSON object: \(text.prefix(200))", status: status)
        }
        return object
    }
}

/// Retries: dropped connections and 5xx with exponential backoff and jitter,
/// 429 after the system's `Retry-After`.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var attempts: Int = 5
    public var baseDelay: Duration = .milliseconds(200)
    public var maxDelay: Duration = .seconds(20)
    /// A 429 asking for a longer wait fails the call with the system's words instead of stalling a sync for hours.
    public var maxRetryAfter: Duration = .seconds(120)

    public init() {}

    public static let `default` = RetryPolicy()

    /// Full jitter: a random wait up to base·2^attempt (AWS architecture blog), capped.
    func backoff(attempt: Int) -> Duration {
        let ceiling = min(Double(maxDelay.components.seconds) + Double(maxDelay.components.attoseconds) / 1e18,
                          (Double(baseDelay.components.attoseconds) / 1e18 + Double(baseDelay.components.seconds)) * pow(2, Double(attempt)))
        return .milliseconds(Int64(Double.random(in: 0...ceiling) * 1_000))
    }
}

/// A token bucket: at most `rate` requests a second on average, `burst` at once.
/// One per interface, set to the vendor's published limit, so a sync never
/// earns the account a 429 (or a ban) that the people using the CRM would feel.
public actor RateLimiter {
    let rate: Double
    let burst: Double
    var tokens: Double
    var updated: ContinuousClock.Instant

    public init(perSecond rate: Double, burst: Int? = nil) {
        self.rate = rate
        self.burst = Double(burst ?? max(1, Int(rate)))
        tokens = self.burst
        updated = .now
    }

    /// Waits for a token.
    public func acquire() async throws {
        while true {
            let now = ContinuousClock.now
            let elapsed = now - updated
            tokens = min(burst, tokens + rate * (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
            updated = now
            if tokens >= 1 {
                tokens -= 1
                return
            }
            try await Task.sleep(for: .milliseconds(Int64(((1 - tokens) / rate) * 1_000) + 1))
        }
    }
}

/// An OAuth 2 session: the current access token, and how to get the next one.
///
/// Refreshes happen before the token expires (a margin of a minute) and once
/// after a 401. Refresh tokens may rotate (Pipedrive rejects a used one), so
/// every new pair is handed to `onRefresh` at once, before it is used: the
/// service stores it encrypted, and a crash right after cannot strand the
/// interface with a dead refresh token.
public actor OAuthSession {
    public struct Tokens: Sendable, Equatable {
        public var accessToken: String
        public var refreshToken: String?
        public var expiresAt: Date?

        public init(accessToken: String, refreshToken: String?, expiresAt: Date?) {
            self.accessToken = accessToken
            self.refreshToken = refreshToken
            self.expiresAt = expiresAt
        }
    }

    public struct Client: Sendable {
        public var tokenURL: String
        public var clientId: String
        public var clientSecret: String
        /// Pipedrive wants the client in a Basic header; Keycloak (sipgate) accepts it in the form too.
        public var credentialsInBody: Bool

        public init(tokenURL: String, clientId: String, clientSecret: String, credentialsInBody: Bool = false) {
            self.tokenURL = tokenURL
            self.clientId = clientId
            self.clientSecret = clientSecret
            self.credentialsInBody = credentialsInBody
        }
    }

    public private(set) var tokens: Tokens
    let client: Client
    let system: String
    let http: HTTPClient
    let timeout: Duration
    let onRefresh: @Sendable (Tokens) async throws -> Void
    /// The refresh in flight: concurrent requests wait for the same one.
    var refreshing: Task<Tokens, any Error>?
    static let margin: TimeInterval = 60

    public init(system: String, tokens: Tokens, client: Client, http: HTTPClient, timeout: Duration,
                onRefresh: @escaping @Sendable (Tokens) async throws -> Void) {
        self.system = system
        self.tokens = tokens
        self.client = client
        self.http = http
        self.timeout = timeout
        self.onRefresh = onRefresh
    }

    /// A token good for at least another minute.
    func accessToken(now: Date = Date()) async throws -> String {
        if let expiry = tokens.expiresAt, expiry.timeIntervalSince(now) < Self.margin, tokens.refreshToken != nil {
            return try await refresh(after: tokens.accessToken)
        }
        return tokens.accessToken
    }

    /// Gets a new access token unless someone already replaced `rejected`.
    func refresh(after rejected: String) async throws -> String {
        if tokens.accessToken != rejected { return tokens.accessToken }
        if let refreshing { return try await refreshing.value.accessToken }
        let task = Task { try await self.exchange() }
        refreshing = task
        defer { refreshing = nil }
        let fresh = try await task.value
        tokens = fresh
        return fresh.accessToken
    }

    private func exchange() async throws -> Tokens {
        guard let refreshToken = tokens.refreshToken else {
            throw ConnectorError(.unauthorized, "\(system) rejected the access token and there is no refresh token: authorise the interface again", system: system)
        }
        var form = [("grant_type", "refresh_token"), ("refresh_token", refreshToken)]
        var request = HTTPClientRequest(url: client.tokenURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        if client.credentialsInBody {
            form += [("client_id", client.clientId), ("client_secret", client.clientSecret)]
        } else {
            let basic = Data("\(client.clientId):\(client.clientSecret)".utf8).base64EncodedString()
            request.headers.add(name: "Authorization", value: "Basic \(basic)")
        }
        request.body = .bytes(ByteBuffer(string: RemoteAPI.formEncode(form)))
        let status: Int
        let body: [UInt8]
        do {
            let response = try await http.execute(request, timeout: .seconds(timeout.components.seconds))
            status = Int(response.status.code)
            body = Array(buffer: try await response.body.collect(upTo: 1 << 20))
        } catch {
            throw Fetch.describe(error, url: client.tokenURL, timeout: timeout)
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        guard (200..<300).contains(status), let access = object?["access_token"] as? String else {
            let said = RemoteAPI.vendorMessage(body) ?? "HTTP \(status)"
            // 400/401 from a token endpoint: the refresh token is dead (expired, revoked or already used).
            let kind: ConnectorError.Kind = (400..<500).contains(status) ? .unauthorized : .remote
            throw ConnectorError(kind, "\(system) refused to refresh the access token (\(status)): \(said)", status: status, system: system)
        }
        let expiresIn = (object?["expires_in"] as? NSNumber)?.doubleValue
        let fresh = Tokens(
            accessToken: access, refreshToken: (object?["refresh_token"] as? String) ?? refreshToken,
            expiresAt: expiresIn.map { Date().addingTimeInterval($0) })
        try await onRefresh(fresh)
        return fresh
    }
}

/// One system's HTTP API as connectors use it: base URL, authentication,
/// retries, rate limit, and errors in the system's own words.
///
/// Every connector goes through here, so each gets the same behaviour:
/// 5xx and dropped connections are retried with backoff and jitter, 429 waits
/// for `Retry-After`, 401 refreshes an OAuth token once, and a refusal becomes
/// a `ConnectorError` carrying the HTTP status and the vendor's message
/// verbatim (what the seed's product never showed).
public struct RemoteAPI: Sendable {
    /// The system's name in messages ("Pipedrive").
    public let system: String
    public let baseURL: String
    public let auth: RemoteAuth
    let http: HTTPClient
    let timeout: Duration
    public var retry: RetryPolicy
    let limiter: RateLimiter?

    public init(system: String, baseURL: String, auth: RemoteAuth, context: ConnectorContext, limiter: RateLimiter? = nil,
                retry: RetryPolicy = .default) {
        self.system = system
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.auth = auth
        self.http = context.http
        self.timeout = context.timeout
        self.limiter = limiter ?? context.limiter
        self.retry = retry
    }

    /// Sends `request` and returns a 2xx answer (or one of `accept`); throws a `ConnectorError` otherwise.
    public func send(_ request: RemoteRequest, accept: Set<Int> = []) async throws -> RemoteResponse {
        var attempt = 0
        var refreshed = false
        while true {
            attempt += 1
            if let limiter { try await limiter.acquire() }
            let (prepared, token) = try await prepare(request)
            let response: RemoteResponse
            do {
                let answer = try await http.execute(prepared, timeout: .seconds(timeout.components.seconds))
                let body = try await answer.body.collect(upTo: 64 << 20)
                response = RemoteResponse(status: Int(answer.status.code), headers: answer.headers, body: Array(buffer: body))
            } catch let error as NIOTooManyBytesError {
                throw ConnectorError(.remote, "\(system) sent an answer larger than 64 MiB for \(request.path): \(error)", system: system)
            } catch {
                // A dropped connection is worth another try. A refused or timed-out connect is not:
                // the HTTP client already retried it until the request's deadline.
                if attempt < retry.attempts, !Task.isCancelled, Self.worthRetrying(error) {
                    try await Task.sleep(for: retry.backoff(attempt: attempt))
                    continue
                }
                var described = Fetch.describe(error, url: prepared.url, timeout: timeout)
                described.system = system
                throw described
            }
            if (200..<300).contains(response.status) || accept.contains(response.status) { return response }
            switch response.status {
            case 401:
                if case .oauth(let session) = auth, !refreshed, let token {
                    refreshed = true
                    _ = try await session.refresh(after: token)
                    continue
                }
                throw refusal(response, kind: .unauthorized, request: request)
            case 429:
                let wait = Self.retryAfter(response.headers) ?? retry.backoff(attempt: attempt)
                guard attempt < retry.attempts, wait <= retry.maxRetryAfter else { throw refusal(response, kind: .remote, request: request) }
                try await Task.sleep(for: wait)
            case 500...599:
                guard attempt < retry.attempts else { throw refusal(response, kind: .remote, request: request) }
                try await Task.sleep(for: retry.backoff(attempt: attempt))
            default:
                throw refusal(response, kind: .remote, request: request)
            }
        }
    }

    /// The settings every API connector shares: its URLs are http(s), `requestsPerSecond` is above 0.
    static func validate(settings: [String: String], urls: [String]) throws(ConnectorError) {
        for name in urls {
            if let url = settings[name], URL(string: url)?.scheme.map({ ["http", "https"].contains($0) }) != true {
                throw ConnectorError(.configuration, "\(url) is not an http(s) URL", field: name)
            }
        }
        if let rate = settings["requestsPerSecond"], (Double(rate) ?? 0) <= 0 {
            throw ConnectorError(.configuration, "must be a number above 0", field: "requestsPerSecond")
        }
    }

    /// Errors where the system may well answer the same request next time.
    static func worthRetrying(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError { return error == .remoteConnectionClosed }
        if let error = error as? IOError { return error.errnoCode == ECONNRESET || error.errnoCode == EPIPE }
        return false
    }

    /// The URL with auth applied; also the bearer token used (to refresh after a 401).
    private func prepare(_ request: RemoteRequest) async throws -> (HTTPClientRequest, String?) {
        var query = request.query
        var token: String?
        var headers = HTTPHeaders([("User-Agent", "Switchboard"), ("Accept", "application/json")])
        switch auth {
        case .none: break
        case .basic(let user, let password):
            headers.add(name: "Authorization", value: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
        case .bearer(let value):
            headers.add(name: "Authorization", value: "Bearer \(value)")
        case .query(let name, let value):
            query.append((name, value))
        case .oauth(let session):
            let access = try await session.accessToken()
            token = access
            headers.add(name: "Authorization", value: "Bearer \(access)")
        }
        for (name, value) in request.headers { headers.replaceOrAdd(name: name, value: value) }
        var url = request.path.hasPrefix("http://") || request.path.hasPrefix("https://") ? request.path : baseURL + request.path
        if !query.isEmpty { url += (url.contains("?") ? "&" : "?") + Self.formEncode(query) }
        var prepared = HTTPClientRequest(url: url)
        prepared.method = request.method
        prepared.headers = headers
        if let body = request.body { prepared.body = .bytes(ByteBuffer(bytes: body)) }
        return (prepared, token)
    }

    /// A refusal in the system's words: HTTP status, and the message from its error body.
    private func refusal(_ response: RemoteResponse, kind: ConnectorError.Kind, request: RemoteRequest) -> ConnectorError {
        let said = Self.vendorMessage(response.body) ?? HTTPResponseStatus(statusCode: response.status).reasonPhrase
        var message = "\(system) answered \(response.status) to \(request.method.rawValue) \(request.path.split(separator: "?").first ?? ""): \(said)"
        if kind == .unauthorized { message += " — set new credentials with interfaces.setCredentials" }
        return ConnectorError(kind, message, status: response.status, system: system, systemMessage: said)
    }

    /// The human part of a vendor's error body: the common JSON shapes, else the text itself (short).
    static func vendorMessage(_ body: [UInt8]) -> String? {
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return nil }
        if let object = (try? JSONSerialization.jsonObject(with: Data(body))) {
            // Salesforce answers an array of {errorCode, message}.
            let first = (object as? [[String: Any]])?.first ?? (object as? [String: Any])
            if let first {
                for key in ["error_description", "message", "error", "errorMessage", "error_info"] {
                    if let value = first[key] as? String, !value.isEmpty { return value }
                    if let nested = first[key] as? [String: Any], let value = nested["message"] as? String { return value }
                }
            }
        }
        return String(text.prefix(500))
    }

    /// `Retry-After` as seconds or an HTTP date.
    static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        guard let value = headers.first(name: "Retry-After")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Int(value) { return .seconds(max(0, seconds)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .seconds(max(0, Int64(date.timeIntervalSinceNow.rounded(.up))))
    }

    /// application/x-www-form-urlencoded (also query strings).
    static func formEncode(_ pairs: [(String, String)]) -> String {
        // RFC 3986 unreserved characters only (CharacterSet.alphanumerics would let "ü" through).
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        func encode(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s }
        return pairs.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }
}

extension OAuthSession {
    /// The credential names every OAuth connector uses; the catalogue lists them as secret fields.
    public static let credentialFields: [FieldSpec] = [
        FieldSpec("accessToken", "OAuth access token", kind: .credential),
        FieldSpec("refreshToken", "OAuth refresh token", kind: .credential, help: "refreshed tokens are stored automatically"),
        FieldSpec("clientId", "OAuth client id", kind: .credential),
        FieldSpec("clientSecret", "OAuth client secret", kind: .credential),
        FieldSpec("accessTokenExpiresAt", "When the access token expires (ISO 8601; kept up to date by the server)", kind: .credential),
    ]

    /// A session from an interface's OAuth credentials, or nil when it has no access token.
    /// Refreshed tokens are stored (sealed) through the context before they are used.
    public static func from(_ context: ConnectorContext, system: String, tokenURL: String, credentialsInBody: Bool = false) -> OAuthSession? {
        let c = context.credentials
        guard let access = c["accessToken"], !access.isEmpty else { return nil }
        let expiry = c["accessTokenExpiresAt"].flatMap { try? Date($0, strategy: .iso8601) }
        let save = context.saveCredentials
        return OAuthSession(
            system: system, tokens: Tokens(accessToken: access, refreshToken: c["refreshToken"], expiresAt: expiry),
            client: Client(tokenURL: tokenURL, clientId: c["clientId"] ?? "", clientSecret: c["clientSecret"] ?? "", credentialsInBody: credentialsInBody),
            http: context.http, timeout: context.timeout
        ) { tokens in
            var changed = ["accessToken": tokens.accessToken]
            if let refresh = tokens.refreshToken { changed["refreshToken"] = refresh }
            if let expiry = tokens.expiresAt { changed["accessTokenExpiresAt"] = expiry.formatted(.iso8601) }
            try await save(changed)
        }
    }
}
