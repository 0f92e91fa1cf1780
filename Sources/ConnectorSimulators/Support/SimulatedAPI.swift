import HTTPTestServer

/// The request pipeline both simulators share: an injected fault first, then the rate limit,
/// then the endpoint (which authenticates). The vendor supplies only the shapes of its answers.
protocol SimulatedAPI: Sendable {
    var faults: FaultInjector { get }
    /// The vendor's answer to a fault other than `.delay`; `rate` is the limiter's state when
    /// the 429 comes from the rate limit (nil for an injected fault).
    func response(for fault: SimulatedFault, rate: RateLimitStatus?) -> HTTPTestResponse
    /// Headers every API answer carries while a rate limit is set (Pipedrive's `x-ratelimit-*`).
    func rateLimitHeaders(_ rate: RateLimitStatus) -> [(String, String)]
}

extension SimulatedAPI {
    /// Runs an API request through faults and the rate limit to `endpoint`.
    func serveAPI(_ request: HTTPTestRequest, _ endpoint: (HTTPTestRequest) -> HTTPTestResponse) -> HTTPTestResponse {
        var delay: Duration?
        if let fault = faults.nextFault(for: .api) {
            guard case .delay(let duration) = fault else { return response(for: fault, rate: nil) }
            delay = duration
        }
        var answer: HTTPTestResponse
        if let rate = faults.countRequest() {
            answer = rate.isExceeded
                ? response(for: .rateLimited(retryAfter: rate.resetSeconds), rate: rate)
                : endpoint(request)
            answer.headers.append(contentsOf: rateLimitHeaders(rate))
        } else {
            answer = endpoint(request)
        }
        if let delay { answer.delay = delay }
        return answer
    }

    /// Runs a token-endpoint request through the faults meant for it (no rate limit).
    func serveTokenEndpoint(_ request: HTTPTestRequest, _ endpoint: (HTTPTestRequest) -> HTTPTestResponse) -> HTTPTestResponse {
        var delay: Duration?
        if let fault = faults.nextFault(for: .tokenEndpoint) {
            guard case .delay(let duration) = fault else { return response(for: fault, rate: nil) }
            delay = duration
        }
        var answer = endpoint(request)
        if let delay { answer.delay = delay }
        return answer
    }
}

extension SimulatedFault {
    /// The parts of a fault's answer that do not depend on the vendor (server errors, raw responses).
    var genericResponse: HTTPTestResponse? {
        switch self {
        case .serverError(let status, let body, let contentType):
            return HTTPTestResponse(status: status, headers: [("Content-Type", contentType)], body: Array(body.utf8))
        case .response(let response):
            return response
        case .unauthorized, .rateLimited, .delay:
            return nil
        }
    }
}
