import ConnectorSimulators
import Foundation
import Testing

/// Pipedrive's phone search and writes over real HTTP.
@Suite("PipedriveSimulator search and writes")
struct PipedriveWriteAndSearchTests {
    @Test("search by phone, exact: one hit in Pipedrive's item shape; deleted persons are not found")
    func searchByPhone() async throws {
        let pipedrive = try await PipedriveSimulator.start()
        let org = pipedrive.addOrganization(name: "Muster GmbH", address: "Berlin")
        pipedrive.seed(count: 500)
        let anna = pipedrive.addPerson(name: "Anna Muster", phones: ["+4930123456"], emails: ["anna@example.com"], orgID: org)
        let search = "\(pipedrive.baseURL)/persons/search?fields=phone&exact_match=true&api_token=\(pipedrive.apiToken)&term="

        let json = try await HTTP.get(search + HTTP.query("+4930123456")).json()
        #expect(json["success"] as? Bool == true)
        let items = try #require((json["data"] as? [String: Any])?["items"] as? [[String: Any]])
        #expect(items.count == 1)
        let item = try #require(items.first?["item"] as? [String: Any])
        #expect(items.first?["result_score"] is Double)
        #expect(item["id"] as? Int == anna)
        #expect(item["type"] as? String == "person")
        #expect(item["name"] as? String == "Anna Muster")
        #expect(item["phones"] as? [String] == ["+4930123456"])
        #expect(item["emails"] as? [String] == ["anna@example.com"])
        let organization = try #require(item["organization"] as? [String: Any])
        #expect(organization["id"] as? Int == org)
        #expect(organization["name"] as? String == "Muster GmbH")
        let pagination = (json["additional_data"] as? [String: Any])?["pagination"] as? [String: Any]
        #expect(pagination?["more_items_in_collection"] as? Bool == false)

        // Exact means the whole number: a prefix finds nothing; without exact_match it does.
        let prefix = try await HTTP.get(search + HTTP.query("+4930123")).json()
        #expect(((prefix["data"] as? [String: Any])?["items"] as? [Any])?.isEmpty == true)
        let partial = try await HTTP.get(
            "\(pipedrive.baseURL)/persons/search?term=\(HTTP.query("4930123"))&fields=phone&api_token=\(pipedrive.apiToken)"
        ).json()
        #expect(((partial["data"] as? [String: Any])?["items"] as? [Any])?.count == 1)

        pipedrive.delete(anna)
        let gone = try await HTTP.get(search + HTTP.query("+4930123456")).json()
        #expect(((gone["data"] as? [String: Any])?["items"] as? [Any])?.isEmpty == true)

        // Writes through the API are found at once; a changed number only under its new value.
        func hits(_ number: String) async throws -> [Int] {
            let json = try await HTTP.get(search + HTTP.query(number)).json()
            let items = (json["data"] as? [String: Any])?["items"] as? [[String: Any]] ?? []
            return items.compactMap { ($0["item"] as? [String: Any])?["id"] as? Int }
        }
        let created = try await HTTP.sendJSON("POST", "\(pipedrive.baseURL)/persons?api_token=\(pipedrive.apiToken)", [
            "name": "Caller", "phone": "+4930777",
        ])
        let caller = try #require((try created.json()["data"] as? [String: Any])?["id"] as? Int)
        #expect(try await hits("+4930777") == [caller])
        _ = try await HTTP.sendJSON("PUT", "\(pipedrive.baseURL)/persons/\(caller)?api_token=\(pipedrive.apiToken)", [
            "phone": [["value": "+4930888", "primary": true, "label": "mobile"]],
        ])
        #expect(try await hits("+4930777") == [])
        #expect(try await hits("+4930888") == [caller])
        #expect(try await hits("+494000000007") == [7])
        let short = try await HTTP.get("\(pipedrive.baseURL)/persons/search?term=a&api_token=\(pipedrive.apiToken)")
        #expect(short.status == 400)
        #expect(try short.json()["success"] as? Bool == false)
        try await pipedrive.shutdown()
    }

    @Test("POST, PUT and soft DELETE; the results show in later reads")
    func writes() async throws {
        var options = PipedriveSimulator.Options()
        options.clock = .fixed(PipedriveSimulatorTests.start)
        let pipedrive = try await PipedriveSimulator.start(options: options)
        let token = "api_token=\(pipedrive.apiToken)"
        let persons = "\(pipedrive.baseURL)/persons"
        let org = pipedrive.addOrganization(name: "Org")

        let created = try await HTTP.sendJSON("POST", "\(persons)?\(token)", [
            "name": "Ada Lovelace", "phone": "+441234", "org_id": org,
            "email": [["value": "ada@example.com", "primary": true, "label": "home"]],
        ])
        #expect(created.status == 201)
        let person = try #require(try created.json()["data"] as? [String: Any])
        let id = try #require(person["id"] as? Int)
        #expect((person["phone"] as? [[String: Any]])?.first?["value"] as? String == "+441234")
        #expect((person["email"] as? [[String: Any]])?.first?["label"] as? String == "home")
        #expect(person["org_name"] as? String == "Org")
        #expect(pipedrive.person(id)?.phones == [.init("+441234")])

        pipedrive.clock.advance(by: 90)
        let updated = try await HTTP.sendJSON("PUT", "\(persons)/\(id)?\(token)", ["name": "Ada King", "org_id": NSNull()])
        #expect(updated.status == 200)
        let after = try #require(try updated.json()["data"] as? [String: Any])
        #expect(after["name"] as? String == "Ada King")
        #expect((after["phone"] as? [[String: Any]])?.first?["value"] as? String == "+441234")  // untouched
        #expect(after["org_id"] is NSNull)
        #expect(after["update_time"] as? String == "2024-05-01 10:01:30")
        #expect(after["add_time"] as? String == "2024-05-01 10:00:00")

        // Form-encoded bodies work too.
        let form = try await HTTP.postForm("\(persons)?\(token)", [("name", "Form Person"), ("phone", "+4930555")])
        #expect(form.status == 201)

        let deleted = try await HTTP.send("DELETE", "\(persons)/\(id)?\(token)")
        #expect(deleted.status == 200)
        #expect(try deleted.json()["success"] as? Bool == true)
        #expect((try deleted.json()["data"] as? [String: Any])?["id"] as? Int == id)
        #expect(pipedrive.person(id)?.isActive == false)
        let list = try await HTTP.get("\(persons)?\(token)").json()
        #expect((list["data"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }.contains(id) == false)
        #expect(try await HTTP.sendJSON("PUT", "\(persons)/\(id)?\(token)", ["name": "Back"]).status == 404)

        let nameless = try await HTTP.sendJSON("POST", "\(persons)?\(token)", ["phone": "+4930"])
        #expect(nameless.status == 400)
        #expect(try nameless.json()["error"] as? String == "Name must be given.")
        #expect(try await HTTP.sendJSON("POST", "\(persons)?\(token)", ["name": "X", "org_id": 999]).status == 400)
        #expect(try await HTTP.send("DELETE", "\(persons)/424242?\(token)").status == 404)
        try await pipedrive.shutdown()
    }
}
