import ConnectorSimulators
import Foundation
import HTTPTestServer
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Injected faults and the rate limit, as a connector's retry logic meets them.
@Suite("Fault injection")
struct FaultInjectionTests {
    @Test("Pipedrive: 401, 429 with Retry-After and x-ratelimit-*, 5xx with body; then normal again")
    func pipedriveFaults() async throws {
        let pipedrive = try await PipedriveSimulator.start()
        let url = "\(pipedrive.baseURL)/persons?api_token=\(pipedrive.apiToken)"
        pipedrive.faults.inject(.unauthorized)
        pipedrive.faults.inject(.rateLimited(retryAfter: 7))
        pipedrive.faults.inject(.serverError(status: 502, body: "<html>Bad Gateway</html>", contentType: "text/html"), count: 2)
        pipedrive.faults.inject(.serverError(status: 503, body: #"{"success":false}"#, contentType: "application/json"))
        #expect(pipedrive.faults.pendingCount == 5)

        let unauthorized = try await HTTP.get(url)
        #expect(unauthorized.status == 401)
        #expect(try unauthorized.json()["errorCode"] as? Int == 401)

        let limited = try await HTTP.get(url)
        #expect(limited.status == 429)
        #expect(limited.headers["retry-after"] == "7")
        #expect(limited.headers["x-ratelimit-remaining"] == "0")
        #expect(limited.headers["x-ratelimit-reset"] == "7")
        #expect(limited.headers["x-ratelimit-limit"] == "80")
        #expect(try limited.json()["errorCode"] as? Int == 429)

        for _ in 0..<2 {
            let bad = try await HTTP.get(url)
            #expect(bad.status == 502)
            #expect(bad.headers["content-type"] == "text/html")
            #expect(bad.text == "<html>Bad Gateway</html>")
        }
        let unavailable = try await HTTP.get(url)
        #expect(unavailable.status == 503)
        #expect(unavailable.text == #"{"success":false}"#)
        #expect(pipedrive.faults.pendingCount == 0)
        #expect(try await HTTP.get(url).status == 200)

        // clear() drops what was not used.
        pipedrive.faults.inject(.unauthorized, count: 3)
        pipedrive.faults.clear()
        #expect(try await HTTP.get(url).status == 200)
        try await pipedrive.shutdown()
    }

    @Test("sipgate: 401 and 429 without a body; a delay makes a short client timeout fire")
    func sipgateFaultsAndDelay() async throws {
        let sipgate = try await SipgateSimulator.start()
        let auth = HTTP.basic(sipgate.defaultToken.tokenID, sipgate.defaultToken.token)
        let url = "\(sipgate.baseURL)/contacts"
        sipgate.faults.inject(.unauthorized)
        sipgate.faults.inject(.rateLimited(retryAfter: 3))
        let unauthorized = try await HTTP.get(url, headers: auth)
        #expect(unauthorized.status == 401)
        #expect(unauthorized.body.isEmpty)
        let limited = try await HTTP.get(url, headers: auth)
        #expect(limited.status == 429)
        #expect(limited.headers["retry-after"] == "3")

        sipgate.faults.inject(.delay(.milliseconds(400)))
        let clock = ContinuousClock()
        let started = clock.now
        let slow = try await HTTP.get(url, headers: auth)
        #expect(slow.status == 200)
        #expect(clock.now - started >= .milliseconds(400))

        // URLSession on Linux counts its timeout in whole seconds.
        sipgate.faults.inject(.delay(.seconds(5)))
        let timing = clock.now
        await #expect(throws: (any Error).self) {
            _ = try await HTTP.send("GET", url, headers: auth, timeout: 1)
        }
        #expect(clock.now - timing < .seconds(4))
        try await sipgate.shutdown()
    }

    @Test("faults hit the API by default; the token endpoint only when aimed at it")
    func faultTargets() async throws {
        let pipedrive = try await PipedriveSimulator.start()
        let client = pipedrive.defaultClient
        let tokens = try #require(pipedrive.oauth.issueTokens(for: client.id))
        let refresh = [("grant_type", "refresh_token"), ("refresh_token", tokens.refreshToken)]
        pipedrive.faults.inject(.unauthorized)
        // The refresh a connector makes after a 401 is not hit by the API's fault...
        #expect(try await HTTP.postForm(pipedrive.tokenURL, refresh, headers: HTTP.basic(client.id, client.secret)).status == 200)
        #expect(try await HTTP.get("\(pipedrive.baseURL)/persons?api_token=\(pipedrive.apiToken)").status == 401)
        // ...but can be made to fail on its own.
        pipedrive.faults.inject(.serverError(status: 500, body: "oops"), on: .tokenEndpoint)
        let failed = try await HTTP.postForm(pipedrive.tokenURL, [("grant_type", "refresh_token")], headers: HTTP.basic(client.id, client.secret))
        #expect(failed.status == 500)
        #expect(failed.text == "oops")
        pipedrive.faults.inject(.response(HTTPTestResponse.text("teapot", status: 418)), on: .any)
        #expect(try await HTTP.get("\(pipedrive.baseURL)/persons?api_token=\(pipedrive.apiToken)").status == 418)
        try await pipedrive.shutdown()
    }

    @Test("rate limit: N requests per window, then 429 with Retry-After until the window ends")
    func rateLimit() async throws {
        let pipedrive = try await PipedriveSimulator.start()
        let url = "\(pipedrive.baseURL)/persons?api_token=\(pipedrive.apiToken)"
        // A window long enough that four requests fall into it even on a loaded machine.
        pipedrive.faults.rateLimit = RateLimit(requests: 3, per: .seconds(5))
        var remaining: [String?] = []
        for _ in 0..<3 {
            let ok = try await HTTP.get(url)
            #expect(ok.status == 200)
            #expect(ok.headers["x-ratelimit-limit"] == "3")
            remaining.append(ok.headers["x-ratelimit-remaining"])
        }
        #expect(remaining == ["2", "1", "0"])
        let limited = try await HTTP.get(url)
        #expect(limited.status == 429)
        #expect((1...5).contains(Int(limited.headers["retry-after"] ?? "") ?? 0))
        #expect(limited.headers["x-ratelimit-remaining"] == "0")
        #expect(try limited.json()["success"] as? Bool == false)
        try await Task.sleep(for: .seconds(Int64(limited.headers["retry-after"] ?? "5") ?? 5) + .milliseconds(100))
        #expect(try await HTTP.get(url).status == 200)
        pipedrive.faults.rateLimit = nil
        let free = try await HTTP.get(url)
        #expect(free.headers["x-ratelimit-limit"] == nil)

        // sipgate: same limiter, no vendor headers.
        let sipgate = try await SipgateSimulator.start()
        let auth = HTTP.basic(sipgate.defaultToken.tokenID, sipgate.defaultToken.token)
        sipgate.faults.rateLimit = RateLimit(requests: 1, per: .seconds(5))
        #expect(try await HTTP.get("\(sipgate.baseURL)/contacts", headers: auth).status == 200)
        let over = try await HTTP.get("\(sipgate.baseURL)/contacts", headers: auth)
        #expect(over.status == 429)
        #expect(Int(over.headers["retry-after"] ?? "") ?? 0 >= 4)
        try await sipgate.shutdown()
        try await pipedrive.shutdown()
    }
}
