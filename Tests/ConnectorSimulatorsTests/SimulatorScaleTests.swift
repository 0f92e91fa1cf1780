import ConnectorSimulators
import Foundation
import Testing

/// The simulators back a 200,000-contact benchmark: seeding and serving a page must not be
/// what the benchmark measures. Bounds are loose (debug build, shared machine).
@Suite("Simulator scale")
struct SimulatorScaleTests {
    @Test("200,000 Pipedrive persons seed fast; a 500-person page is served fast, also deep in the set")
    func pipedrive200k() async throws {
        let pipedrive = try await PipedriveSimulator.start()
        let clock = ContinuousClock()
        let seeding = clock.now
        let ids = try #require(pipedrive.seed(count: 200_000))
        let seeded = clock.now - seeding
        #expect(ids.count == 200_000)
        #expect(seeded < .seconds(3), "seeding took \(seeded)")

        let cursor = Data(#"{"id":199000}"#.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
        for url in [
            "\(pipedrive.baseURL)/persons/collection?limit=500&cursor=\(cursor)&api_token=\(pipedrive.apiToken)",
            "\(pipedrive.baseURL)/persons?start=199000&limit=500&api_token=\(pipedrive.apiToken)",
            "\(pipedrive.baseURL)/persons/search?term=%2B494000150000&fields=phone&exact_match=true&api_token=\(pipedrive.apiToken)",
        ] {
            _ = try await HTTP.get(url)  // the first request builds the indexes
            let serving = clock.now
            let page = try await HTTP.get(url)
            let served = clock.now - serving
            #expect(page.status == 200)
            #expect(served < .seconds(1), "\(url) took \(served)")
        }
        let page = try await HTTP.get("\(pipedrive.baseURL)/persons/collection?limit=500&cursor=\(cursor)&api_token=\(pipedrive.apiToken)").json()
        #expect((page["data"] as? [[String: Any]])?.first?["id"] as? Int == 199_001)
        #expect((page["data"] as? [Any])?.count == 500)
        try await pipedrive.shutdown()
    }

    @Test("200,000 sipgate contacts seed fast; a 5000-contact page is served fast")
    func sipgate200k() async throws {
        let sipgate = try await SipgateSimulator.start()
        let auth = HTTP.basic(sipgate.defaultToken.tokenID, sipgate.defaultToken.token)
        let clock = ContinuousClock()
        let seeding = clock.now
        let ids = sipgate.seed(count: 200_000)
        let seeded = clock.now - seeding
        #expect(ids.count == 200_000)
        #expect(seeded < .seconds(3), "seeding took \(seeded)")

        let serving = clock.now
        let page = try await HTTP.get("\(sipgate.baseURL)/contacts?offset=195000&limit=5000", headers: auth)
        let served = clock.now - serving
        #expect(page.status == 200)
        #expect(served < .seconds(2), "a 5000-contact page took \(served)")
        let json = try page.json()
        #expect(json["totalCount"] as? Int == 200_000)
        #expect((json["items"] as? [[String: Any]])?.last?["id"] as? String == ids.last)
        let lookup = try await HTTP.get("\(sipgate.baseURL)/contacts?phonenumbers=%2B493000123456", headers: auth).json()
        #expect(lookup["totalCount"] as? Int == 1)
        try await sipgate.shutdown()
    }
}
