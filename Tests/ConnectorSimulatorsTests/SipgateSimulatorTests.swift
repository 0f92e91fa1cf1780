import ConnectorSimulators
import Foundation
import Testing

/// The sipgate simulator over real HTTP, asserting what a connector relies on.
@Suite("SipgateSimulator")
struct SipgateSimulatorTests {
    @Test("credentials: a PAT as Basic, an OAuth token as Bearer; 401 without, 403 without the scope")
    func authentication() async throws {
        let sipgate = try await SipgateSimulator.start()
        let url = "\(sipgate.baseURL)/contacts"
        #expect(sipgate.baseURL.hasPrefix("http://127.0.0.1:") && sipgate.baseURL.hasSuffix("/v2"))
        let pat = sipgate.defaultToken

        let anonymous = try await HTTP.get(url)
        #expect(anonymous.status == 401)
        #expect(anonymous.body.isEmpty)
        #expect(try await HTTP.get(url, headers: HTTP.basic(pat.tokenID, "wrong")).status == 401)
        #expect(try await HTTP.get(url, headers: HTTP.bearer("made-up")).status == 401)
        let ok = try await HTTP.get(url, headers: HTTP.basic(pat.tokenID, pat.token))
        #expect(ok.status == 200)
        #expect(ok.headers["content-type"] == "application/json")
        #expect(try ok.json()["totalCount"] as? Int == 0)

        // A read-only token reads but cannot write.
        sipgate.addToken(.init(tokenID: "token-RO", token: "ro-secret", scopes: ["contacts:read"]))
        let readOnly = HTTP.basic("token-RO", "ro-secret")
        #expect(try await HTTP.get(url, headers: readOnly).status == 200)
        let refused = try await HTTP.sendJSON("POST", url, ["name": "X", "scope": "PRIVATE"], headers: readOnly)
        #expect(refused.status == 403)
        #expect(sipgate.contactCount == 0)
        // "all" grants everything; a token without any contacts scope reads nothing.
        sipgate.addToken(.init(tokenID: "token-ALL", token: "all", scopes: ["all"]))
        #expect(try await HTTP.sendJSON("POST", url, ["scope": "PRIVATE"], headers: HTTP.basic("token-ALL", "all")).status == 204)
        sipgate.addToken(.init(tokenID: "token-HIST", token: "h", scopes: ["history:read"]))
        #expect(try await HTTP.get(url, headers: HTTP.basic("token-HIST", "h")).status == 403)
        sipgate.removeToken(id: "token-RO")
        #expect(try await HTTP.get(url, headers: readOnly).status == 401)

        // OAuth: the access token works until the clock passes its lifetime (300 s).
        let tokens = try #require(sipgate.oauth.issueTokens(for: sipgate.defaultClient.id))
        #expect(tokens.expiresIn == 300)
        #expect(try await HTTP.get(url, headers: HTTP.bearer(tokens.accessToken)).status == 200)
        sipgate.clock.advance(by: 300)
        #expect(try await HTTP.get(url, headers: HTTP.bearer(tokens.accessToken)).status == 401)
        try await sipgate.shutdown()
    }

    @Test("paging with limit/offset sees every contact once; totalCount; the ContactResponse shape")
    func paging() async throws {
        let sipgate = try await SipgateSimulator.start()
        let auth = HTTP.basic(sipgate.defaultToken.tokenID, sipgate.defaultToken.token)
        let ids = sipgate.seed(count: 1_234)
        sipgate.add(SipgateContact(name: "Private One", scope: .private))
        sipgate.add(SipgateContact(name: "Colleague", numbers: [.init(number: "+4921100000010", type: ["work"])], scope: .internal))

        var seen: [String] = []
        var offset = 0
        var scopes: Set<String> = []
        while true {
            let page = try await HTTP.get("\(sipgate.baseURL)/contacts?limit=100&offset=\(offset)", headers: auth)
            #expect(page.status == 200)
            let json = try page.json()
            #expect(json["totalCount"] as? Int == 1_236)
            let items = try #require(json["items"] as? [[String: Any]])
            if items.isEmpty { break }
            #expect(items.count <= 100)
            seen += items.compactMap { $0["id"] as? String }
            scopes.formUnion(items.compactMap { $0["scope"] as? String })
            offset += items.count
        }
        #expect(seen.count == 1_236)
        #expect(Set(seen).count == 1_236)
        #expect(Array(seen.prefix(ids.count)) == ids)
        #expect(scopes == ["SHARED", "PRIVATE", "INTERNAL"])

        // No limit: the documented default of 5000 returns everything here.
        let all = try await HTTP.get("\(sipgate.baseURL)/contacts", headers: auth).json()
        #expect((all["items"] as? [Any])?.count == 1_236)

        let first = try #require((try await HTTP.get("\(sipgate.baseURL)/contacts?limit=1", headers: auth).json()["items"] as? [[String: Any]])?.first)
        #expect(Set(first.keys) == ["id", "name", "picture", "emails", "numbers", "addresses", "organization", "scope"])
        #expect(first["id"] as? String == ids[0])
        #expect(first["name"] as? String == "Contact 00000001")
        #expect(first["picture"] is NSNull)
        #expect((first["numbers"] as? [[String: Any]])?.first?["number"] as? String == "+493000000001")
        #expect((first["numbers"] as? [[String: Any]])?.first?["type"] as? [String] == ["work"])
        #expect((first["emails"] as? [[String: Any]])?.first?["email"] as? String == "contact00000001@example.com")
        #expect(first["organization"] as? [[String]] == [["Simulated GmbH"]])

        #expect(try await HTTP.get("\(sipgate.baseURL)/contacts?limit=x", headers: auth).status == 400)
        #expect(try await HTTP.get("\(sipgate.baseURL)/contacts?offset=-1", headers: auth).status == 400)
        try await sipgate.shutdown()
    }

    @Test("phonenumbers= filters by exact number (repeatable); totalCount counts the matches")
    func phoneFilter() async throws {
        let sipgate = try await SipgateSimulator.start()
        let auth = HTTP.basic(sipgate.defaultToken.tokenID, sipgate.defaultToken.token)
        sipgate.seed(count: 50)
        let anna = sipgate.add(SipgateContact(
            name: "Anna Muster", numbers: [.init(number: "+4921112345678", type: ["cell"]), .init(number: "+4930111", type: ["work"])]))
        let ben = sipgate.add(SipgateContact(name: "Ben", numbers: [.init(number: "+4930222", type: ["home"])], scope: .private))

        let one = try await HTTP.get("\(sipgate.baseURL)/contacts?phonenumbers=\(HTTP.query("+4921112345678"))", headers: auth).json()
        #expect(one["totalCount"] as? Int == 1)
        #expect((one["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [anna])

        let both = try await HTTP.get(
            "\(sipgate.baseURL)/contacts?phonenumbers=%2B4930222&phonenumbers=%2B4930111&phonenumbers=%2B4921112345678", headers: auth
        ).json()
        #expect(both["totalCount"] as? Int == 2)
        #expect((both["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [anna, ben])

        let none = try await HTTP.get("\(sipgate.baseURL)/contacts?phonenumbers=%2B4999", headers: auth).json()
        #expect(none["totalCount"] as? Int == 0)
        #expect((none["items"] as? [Any])?.isEmpty == true)
        // An unencoded "+" is a space in a query string: a connector must send %2B.
        let unencoded = try await HTTP.get("\(sipgate.baseURL)/contacts?phonenumbers=+4930222", headers: auth).json()
        #expect(unencoded["totalCount"] as? Int == 0)
        try await sipgate.shutdown()
    }

    @Test("POST, PUT and DELETE answer without a body; the changes show in later reads")
    func writes() async throws {
        let sipgate = try await SipgateSimulator.start()
        let auth = HTTP.basic(sipgate.defaultToken.tokenID, sipgate.defaultToken.token)
        let contacts = "\(sipgate.baseURL)/contacts"
        let created = try await HTTP.sendJSON("POST", contacts, [
            "name": "Anna Muster", "family": "Muster", "given": "Anna", "picture": NSNull(),
            "emails": [["email": "anna@example.com", "type": ["work"]]],
            "numbers": [["number": "+4930123456", "type": ["work"]]],
            "addresses": [], "organization": [["Muster GmbH"]], "scope": "SHARED",
        ], headers: auth)
        #expect(created.status == 204)
        #expect(created.body.isEmpty)
        #expect(created.headers["location"] == nil)

        // The id comes from a lookup by number, as a connector must do it.
        let found = try await HTTP.get("\(contacts)?phonenumbers=%2B4930123456", headers: auth).json()
        let item = try #require((found["items"] as? [[String: Any]])?.first)
        let id = try #require(item["id"] as? String)
        #expect(item["name"] as? String == "Anna Muster")
        #expect(item["scope"] as? String == "SHARED")
        #expect(sipgate.contact(id)?.family == "Muster")

        let updated = try await HTTP.sendJSON("PUT", "\(contacts)/\(id)", [
            "name": "Anna Beispiel", "numbers": [["number": "+4930999", "type": ["cell"]]], "scope": "PRIVATE",
        ], headers: auth)
        #expect(updated.status == 204)
        #expect(updated.body.isEmpty)
        let after = try #require(sipgate.contact(id))
        #expect(after.name == "Anna Beispiel")
        #expect(after.numbers == [.init(number: "+4930999", type: ["cell"])])
        #expect(after.emails.isEmpty)  // PUT replaces the whole contact
        #expect(after.scope == .private)
        #expect(try await HTTP.get("\(contacts)?phonenumbers=%2B4930123456", headers: auth).json()["totalCount"] as? Int == 0)

        #expect(try await HTTP.send("DELETE", "\(contacts)/\(id)", headers: auth).status == 204)
        #expect(sipgate.contactCount == 0)
        #expect(try await HTTP.send("DELETE", "\(contacts)/\(id)", headers: auth).status == 404)
        #expect(try await HTTP.sendJSON("PUT", "\(contacts)/\(id)", ["scope": "SHARED"], headers: auth).status == 404)

        // scope is required, and INTERNAL cannot be written.
        #expect(try await HTTP.sendJSON("POST", contacts, ["name": "No scope"], headers: auth).status == 400)
        #expect(try await HTTP.sendJSON("POST", contacts, ["name": "X", "scope": "INTERNAL"], headers: auth).status == 400)
        #expect(try await HTTP.send("POST", contacts, headers: auth, body: Data("not json".utf8)).status == 400)
        let colleague = sipgate.add(SipgateContact(name: "Colleague", scope: .internal))
        #expect(try await HTTP.sendJSON("PUT", "\(contacts)/\(colleague)", ["scope": "SHARED"], headers: auth).status == 403)
        #expect(try await HTTP.send("DELETE", "\(contacts)/\(colleague)", headers: auth).status == 403)
        #expect(try await HTTP.get("\(sipgate.baseURL)/nothing-here", headers: auth).status == 404)
        try await sipgate.shutdown()
    }

    @Test("changes on sipgate's side show in the next read; Location on create when switched on")
    func systemSideChanges() async throws {
        var options = SipgateSimulator.Options()
        options.locationOnCreate = true
        options.writeStatus = 201
        let sipgate = try await SipgateSimulator.start(options: options)
        let auth = HTTP.basic(sipgate.defaultToken.tokenID, sipgate.defaultToken.token)
        let ids = sipgate.seed(count: 3)
        #expect(sipgate.update(ids[1]) { $0.name = "Renamed" })
        #expect(sipgate.remove(ids[0]))
        let items = try #require(try await HTTP.get("\(sipgate.baseURL)/contacts", headers: auth).json()["items"] as? [[String: Any]])
        #expect(items.compactMap { $0["id"] as? String } == [ids[1], ids[2]])
        #expect(items.first?["name"] as? String == "Renamed")

        let created = try await HTTP.sendJSON("POST", "\(sipgate.baseURL)/contacts", ["name": "New", "scope": "PRIVATE"], headers: auth)
        #expect(created.status == 201)
        let location = try #require(created.headers["location"])
        #expect(sipgate.contact(String(location.dropFirst("/v2/contacts/".count)))?.name == "New")
        let recorded = try #require(sipgate.requests.last)
        #expect(recorded.method == "POST")
        #expect(recorded.path == "/v2/contacts")
        #expect(recorded.header("authorization") == auth["Authorization"])
        try await sipgate.shutdown()
    }
}
