import ConnectorSimulators
import Foundation
import Testing

/// The Pipedrive simulator over real HTTP, asserting what a connector relies on.
@Suite("PipedriveSimulator")
struct PipedriveSimulatorTests {
    /// 2024-05-01 10:00:00 UTC.
    static let start = 1_714_557_600

    @Test("credentials: api_token or Bearer; 401/403 bodies in Pipedrive's error shape")
    func authentication() async throws {
        let pipedrive = try await PipedriveSimulator.start()
        #expect(pipedrive.baseURL.hasSuffix("/v1") && !pipedrive.baseURL.hasSuffix("/api/v1"))
        let persons = "\(pipedrive.baseURL)/persons"

        let ok = try await HTTP.get("\(persons)?api_token=\(pipedrive.apiToken)")
        #expect(ok.status == 200)
        #expect(try ok.json()["success"] as? Bool == true)
        for url in [persons, "\(persons)?api_token=wrong"] {
            let denied = try await HTTP.get(url)
            #expect(denied.status == 401)
            let body = try denied.json()
            #expect(body["success"] as? Bool == false)
            #expect(body["error"] as? String == "unauthorized access")
            #expect(body["errorCode"] as? Int == 401)
            #expect((body["error_info"] as? String)?.contains("developers.pipedrive.com") == true)
        }

        // OAuth: Bearer works; an expired token answers 401.
        let tokens = try #require(pipedrive.oauth.issueTokens(for: pipedrive.defaultClient.id))
        #expect(tokens.expiresIn == 3600)
        #expect(try await HTTP.get(persons, headers: HTTP.bearer(tokens.accessToken)).status == 200)
        pipedrive.clock.advance(by: 3600)
        let expired = try await HTTP.get(persons, headers: HTTP.bearer(tokens.accessToken))
        #expect(expired.status == 401)
        #expect(try expired.json()["errorCode"] as? Int == 401)

        // A read-only OAuth app reads but cannot write: 403.
        pipedrive.oauth.register(.init(id: "reader", secret: "s", scopes: ["base", "contacts:read"]))
        let reader = try #require(pipedrive.oauth.issueTokens(for: "reader"))
        #expect(try await HTTP.get(persons, headers: HTTP.bearer(reader.accessToken)).status == 200)
        let refused = try await HTTP.sendJSON("POST", persons, ["name": "X"], headers: HTTP.bearer(reader.accessToken))
        #expect(refused.status == 403)
        #expect(try refused.json()["errorCode"] as? Int == 403)

        // /persons/collection is for global admins only.
        pipedrive.addAPIToken(.init("regular-user", isGlobalAdmin: false))
        #expect(try await HTTP.get("\(persons)?api_token=regular-user").status == 200)
        let forbidden = try await HTTP.get("\(persons)/collection?api_token=regular-user")
        #expect(forbidden.status == 403)
        #expect(try forbidden.json()["success"] as? Bool == false)
        pipedrive.removeAPIToken("regular-user")
        #expect(try await HTTP.get("\(persons)?api_token=regular-user").status == 401)
        try await pipedrive.shutdown()
    }

    @Test("GET /persons pages with start/limit to the end, each active person once")
    func offsetPaging() async throws {
        let pipedrive = try await PipedriveSimulator.start()
        let token = "api_token=\(pipedrive.apiToken)"
        let ids = try #require(pipedrive.seed(count: 1_234))
        pipedrive.delete(ids.lowerBound + 1)

        var seen: [Int] = []
        var start = 0
        var pages = 0
        while true {
            let json = try await HTTP.get("\(pipedrive.baseURL)/persons?start=\(start)&limit=500&\(token)").json()
            let pagination = try #require((json["additional_data"] as? [String: Any])?["pagination"] as? [String: Any])
            #expect(pagination["start"] as? Int == start)
            #expect(pagination["limit"] as? Int == 500)
            seen += try #require(json["data"] as? [[String: Any]]).compactMap { $0["id"] as? Int }
            pages += 1
            guard pagination["more_items_in_collection"] as? Bool == true else {
                #expect(pagination["next_start"] == nil)
                break
            }
            start = try #require(pagination["next_start"] as? Int)
        }
        #expect(pages == 3)
        #expect(seen == Array(ids).filter { $0 != ids.lowerBound + 1 })

        // Defaults and caps: 100 without limit, 500 at most; past the end, "data": null.
        let first = try await HTTP.get("\(pipedrive.baseURL)/persons?\(token)").json()
        #expect((first["data"] as? [Any])?.count == 100)
        let capped = try await HTTP.get("\(pipedrive.baseURL)/persons?limit=1000&\(token)").json()
        #expect((capped["data"] as? [Any])?.count == 500)
        let beyond = try await HTTP.get("\(pipedrive.baseURL)/persons?start=5000&\(token)").json()
        #expect(beyond["data"] is NSNull)
        #expect(try await HTTP.get("\(pipedrive.baseURL)/persons?start=-1&\(token)").status == 400)
        try await pipedrive.shutdown()
    }

    @Test("a person on /persons: owner_id and org_id objects, org_name, phone/email arrays, times")
    func personShape() async throws {
        var options = PipedriveSimulator.Options()
        options.clock = .fixed(Self.start)
        let pipedrive = try await PipedriveSimulator.start(options: options)
        let org = pipedrive.addOrganization(name: "Muster GmbH", address: "Hauptstr. 1, Berlin")
        let will = pipedrive.addPerson(name: "Will Smith", phones: ["+4930123456", "+4917012345"], emails: ["will@example.com"], orgID: org)
        let bare = pipedrive.addPerson(name: "Bare")

        let json = try await HTTP.get("\(pipedrive.companyBaseURL)/persons/\(will)?api_token=\(pipedrive.apiToken)").json()
        let person = try #require(json["data"] as? [String: Any])
        #expect(person["id"] as? Int == will)
        #expect(person["name"] as? String == "Will Smith")
        #expect(person["first_name"] as? String == "Will")
        #expect(person["last_name"] as? String == "Smith")
        #expect(person["active_flag"] as? Bool == true)
        #expect(person["add_time"] as? String == "2024-05-01 10:00:00")
        #expect(person["update_time"] as? String == "2024-05-01 10:00:00")
        #expect(person["delete_time"] is NSNull)
        let phones = try #require(person["phone"] as? [[String: Any]])
        #expect(phones.map { $0["value"] as? String } == ["+4930123456", "+4917012345"])
        #expect(phones.map { $0["primary"] as? Bool } == [true, false])
        #expect(phones.first?["label"] as? String == "work")
        let orgRef = try #require(person["org_id"] as? [String: Any])
        #expect(orgRef["value"] as? Int == org)
        #expect(orgRef["name"] as? String == "Muster GmbH")
        #expect(orgRef["people_count"] as? Int == 1)
        #expect(orgRef["address"] as? String == "Hauptstr. 1, Berlin")
        #expect(person["org_name"] as? String == "Muster GmbH")
        #expect((person["owner_id"] as? [String: Any])?["value"] as? Int == 1)
        #expect(person["owner_name"] as? String == "Simulator Owner")

        // Without phone or email: Pipedrive's placeholder entry; without organization: nulls.
        let bareJSON = try await HTTP.get("\(pipedrive.baseURL)/persons/\(bare)?api_token=\(pipedrive.apiToken)").json()
        let barePerson = try #require(bareJSON["data"] as? [String: Any])
        #expect((barePerson["phone"] as? [[String: Any]])?.first?["value"] as? String == "")
        #expect(barePerson["org_id"] is NSNull)
        #expect(barePerson["org_name"] is NSNull)

        let organization = try await HTTP.get("\(pipedrive.baseURL)/organizations/\(org)?api_token=\(pipedrive.apiToken)").json()
        let orgData = try #require(organization["data"] as? [String: Any])
        #expect(orgData["id"] as? Int == org)
        #expect(orgData["name"] as? String == "Muster GmbH")
        #expect(orgData["people_count"] as? Int == 1)
        // people_count follows moves and deletions.
        let colleague = pipedrive.addPerson(name: "Colleague", orgID: org)
        pipedrive.delete(will)
        pipedrive.update(bare) { $0.orgID = org }
        let recount = try await HTTP.get("\(pipedrive.baseURL)/organizations/\(org)?api_token=\(pipedrive.apiToken)").json()
        #expect((recount["data"] as? [String: Any])?["people_count"] as? Int == 2)
        #expect(pipedrive.person(colleague)?.orgID == org)

        let missing = try await HTTP.get("\(pipedrive.baseURL)/organizations/999?api_token=\(pipedrive.apiToken)")
        #expect(missing.status == 404)
        #expect(try missing.json()["error"] as? String == "Organization not found")
        #expect(try await HTTP.get("\(pipedrive.baseURL)/persons/999?api_token=\(pipedrive.apiToken)").status == 404)
        #expect(try await HTTP.get("\(pipedrive.baseURL)/deals?api_token=\(pipedrive.apiToken)").status == 404)
        try await pipedrive.shutdown()
    }

    @Test("/persons/collection: cursor paging to next_cursor null, each person once, plain ids")
    func cursorPaging() async throws {
        let pipedrive = try await PipedriveSimulator.start()
        let org = pipedrive.addOrganization(name: "Org")
        let ids = try #require(pipedrive.seed(count: 1_001, organizations: [org]))
        var seen: [Int] = []
        var cursor: String?
        var pages = 0
        repeat {
            let cursorParameter = cursor.map { "&cursor=\(HTTP.query($0))" } ?? ""
            let json = try await HTTP.get(
                "\(pipedrive.baseURL)/persons/collection?limit=500\(cursorParameter)&api_token=\(pipedrive.apiToken)"
            ).json()
            let data = try #require(json["data"] as? [[String: Any]])
            if pages == 0 {
                #expect(data.first?["org_id"] as? Int == org)
                #expect(data.first?["owner_id"] as? Int == 1)
                #expect((data.first?["phone"] as? [[String: Any]])?.first?["value"] as? String == "+494000000001")
            }
            seen += data.compactMap { $0["id"] as? Int }
            let additional = try #require(json["additional_data"] as? [String: Any])
            #expect(additional.keys.contains("next_cursor"))
            cursor = additional["next_cursor"] as? String
            pages += 1
        } while cursor != nil
        #expect(pages == 3)
        #expect(seen == Array(ids))

        // A full last page still says where the end is: no empty extra page.
        let exact = try await HTTP.get("\(pipedrive.baseURL)/persons/collection?limit=1001&api_token=\(pipedrive.apiToken)").json()
        #expect((exact["data"] as? [Any])?.count == 500)
        #expect(try await HTTP.get("\(pipedrive.baseURL)/persons/collection?cursor=%%%&api_token=\(pipedrive.apiToken)").status == 400)
        try await pipedrive.shutdown()
    }

    @Test("since/until select on update_time; a deletion shows up as a change with active_flag false")
    func changedSince() async throws {
        var options = PipedriveSimulator.Options()
        options.clock = .fixed(Self.start)
        let pipedrive = try await PipedriveSimulator.start(options: options)
        let ids = Array(try #require(pipedrive.seed(count: 100)))
        pipedrive.clock.advance(by: 60)  // 10:01:00
        pipedrive.update(ids[10]) { $0.phones = [.init("+4940999")] }
        pipedrive.touch(ids[20])
        pipedrive.delete(ids[30])
        pipedrive.clock.advance(by: 60)  // 10:02:00
        let late = pipedrive.addPerson(name: "Late Comer")

        func changed(_ query: String) async throws -> [[String: Any]] {
            let json = try await HTTP.get(
                "\(pipedrive.baseURL)/persons/collection?\(query)&api_token=\(pipedrive.apiToken)").json()
            return try #require(json["data"] as? [[String: Any]])
        }
        let since = try await changed("since=\(HTTP.query("2024-05-01 10:01:00"))")
        #expect(since.compactMap { $0["id"] as? Int } == [ids[10], ids[20], ids[30], late])
        let deleted = try #require(since.first { $0["id"] as? Int == ids[30] })
        #expect(deleted["active_flag"] as? Bool == false)
        #expect(deleted["delete_time"] as? String == "2024-05-01 10:01:00")
        #expect(deleted["update_time"] as? String == "2024-05-01 10:01:00")
        #expect(since.first?["update_time"] as? String == "2024-05-01 10:01:00")

        let window = try await changed("since=2024-05-01+10:00:30&until=2024-05-01+10:01:59")
        #expect(window.compactMap { $0["id"] as? Int } == [ids[10], ids[20], ids[30]])
        #expect(try await changed("since=2024-05-01T10:02:00Z").compactMap { $0["id"] as? Int } == [late])
        let bad = try await HTTP.get("\(pipedrive.baseURL)/persons/collection?since=yesterday&api_token=\(pipedrive.apiToken)")
        #expect(bad.status == 400)

        // The deleted person: still readable by id, gone from /persons; purged: gone everywhere.
        let byID = try await HTTP.get("\(pipedrive.baseURL)/persons/\(ids[30])?api_token=\(pipedrive.apiToken)").json()
        #expect((byID["data"] as? [String: Any])?["active_flag"] as? Bool == false)
        #expect(pipedrive.activePersonCount == 100)
        pipedrive.purge(ids[30])
        #expect(try await changed("since=2024-05-01+10:01:00").count == 3)
        #expect(try await HTTP.get("\(pipedrive.baseURL)/persons/\(ids[30])?api_token=\(pipedrive.apiToken)").status == 404)
        try await pipedrive.shutdown()
    }

    @Test("the collection can leave deleted persons out (Options.collectionIncludesDeleted)")
    func collectionWithoutDeleted() async throws {
        var options = PipedriveSimulator.Options()
        options.collectionIncludesDeleted = false
        let pipedrive = try await PipedriveSimulator.start(options: options)
        let ids = Array(try #require(pipedrive.seed(count: 3)))
        pipedrive.delete(ids[1])
        let json = try await HTTP.get("\(pipedrive.baseURL)/persons/collection?api_token=\(pipedrive.apiToken)").json()
        #expect((json["data"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [ids[0], ids[2]])
        try await pipedrive.shutdown()
    }
}
