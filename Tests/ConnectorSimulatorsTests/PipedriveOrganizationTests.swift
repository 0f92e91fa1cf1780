import ConnectorSimulators
import Foundation
import Testing

/// Organisations by name and the connected user, over real HTTP.
@Suite("PipedriveSimulator organisations and users/me")
struct PipedriveOrganizationTests {
    @Test("search by exact name finds one organisation; POST makes one that search then finds; users/me names the user")
    func organisationsByName() async throws {
        let pipedrive = try await PipedriveSimulator.start()
        let acme = pipedrive.addOrganization(name: "Acme GmbH")
        _ = pipedrive.addOrganization(name: "Acme GmbH & Co. KG")
        let token = "api_token=\(pipedrive.apiToken)"
        let search = "\(pipedrive.baseURL)/organizations/search?exact_match=true&\(token)&term="

        let found = try await HTTP.get(search + HTTP.query("acme gmbh")).json()
        let items = try #require((found["data"] as? [String: Any])?["items"] as? [[String: Any]])
        #expect(items.count == 1)
        let item = try #require(items.first?["item"] as? [String: Any])
        #expect(item["id"] as? Int == acme)
        #expect(item["type"] as? String == "organization")
        #expect(try await HTTP.get(search + HTTP.query("Café Crème")).json()["data"].flatMap { ($0 as? [String: Any])?["items"] as? [Any] }?.isEmpty == true)

        let made = try await HTTP.sendJSON("POST", "\(pipedrive.baseURL)/organizations?\(token)", ["name": "Café Crème"])
        #expect(made.status == 201)
        let id = try #require((try made.json()["data"] as? [String: Any])?["id"] as? Int)
        #expect(pipedrive.organization(id)?.name == "Café Crème")
        let again = try await HTTP.get(search + HTTP.query("café crème")).json()
        #expect(((again["data"] as? [String: Any])?["items"] as? [[String: Any]])?.first.flatMap { ($0["item"] as? [String: Any])?["id"] as? Int } == id)

        let refused = try await HTTP.get("\(pipedrive.baseURL)/organizations/search?term=x&api_token=wrong")
        #expect(refused.status == 401)

        let me = try await HTTP.get("\(pipedrive.baseURL)/users/me?\(token)").json()
        #expect(me["success"] as? Bool == true)
        #expect((me["data"] as? [String: Any])?["name"] as? String == "Simulator Owner")
        try await pipedrive.shutdown()
    }
}
