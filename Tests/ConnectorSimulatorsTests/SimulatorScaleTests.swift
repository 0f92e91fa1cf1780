import ConnectorSimulators
import Foundation
import Testing

/// The simulators back a 200,000-contact benchmark: they must seed that many and serve the
/// right page deep in the set. How fast is for the benchmark to say (Benchmarks/ConnectorBench),
/// not a test on a shared machine.
@Suite("Simulator scale")
struct SimulatorScaleTests {
    @Test("200,000 Pipedrive persons are seeded; pages deep in the set are the right ones")
    func pipedrive200k() async throws {
        let pipedrive = try await PipedriveSimulator.start()
        let ids = try #require(pipedrive.seed(count: 200_000))
        #expect(ids.count == 200_000)

        let cursor = Data(#"{"id":199000}"#.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
        for url in [
            "\(pipedrive.baseURL)/persons/collection?limit=500&cursor=\(cursor)&api_token=\(pipedrive.apiToken)",
            "\(pipedrive.baseURL)/persons?start=199000&limit=500&api_token=\(pipedrive.apiToken)",
            "\(pipedrive.baseURL)/persons/search?term=%2B494000150000&fields=phone&exact_match=true&api_token=\(pipedrive.apiToken)",
        ] {
            _ = try await HTTP.get(url)  // the first request builds the indexes
            #expect(try await HTTP.get(url).status == 200)
        }
        let page = try await HTTP.get("\(pipedrive.baseURL)/persons/collection?limit=500&cursor=\(cursor)&api_token=\(pipedrive.apiToken)").json()
        #expect((page["data"] as? [[String: Any]])?.first?["id"] as? Int == 199_001)
        #expect((page["data"] as? [Any])?.count == 500)
        try await pipedrive.shutdown()
    }

    @Test("200,000 sipgate contacts are seeded; a 5000-contact page deep in the set is the right one")
    func sipgate200k() async throws {
        let sipgate = try await SipgateSimulator.start()
        let auth = HTTP.basic(sipgate.defaultToken.tokenID, sipgate.defaultToken.token)
        let ids = sipgate.seed(count: 200_000)
        #expect(ids.count == 200_000)

        let page = try await HTTP.get("\(sipgate.baseURL)/contacts?offset=195000&limit=5000", headers: auth)
        #expect(page.status == 200)
        let json = try page.json()
        #expect(json["totalCount"] as? Int == 200_000)
        #expect((json["items"] as? [[String: Any]])?.last?["id"] as? String == ids.last)
        let lookup = try await HTTP.get("\(sipgate.baseURL)/contacts?phonenumbers=%2B493000123456", headers: auth).json()
        #expect(lookup["totalCount"] as? Int == 1)
        try await sipgate.shutdown()
    }
}
