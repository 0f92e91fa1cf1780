import ConnectorSimulators
import Foundation
import JSONRPC
import SwitchboardClient
import SwitchboardTestSupport
import Testing

/// Pipedrive and sipgate end to end: a real server syncing from, and writing
/// through to, each vendor's documented API served on loopback (issue 6).
@Suite struct SaaSConnectorTests {
    func pipedriveInterface(_ admin: SwitchboardClient, _ pipedrive: PipedriveSimulator, token: String? = nil) async throws -> JSONValue {
        let ordered = try await admin.call("interfaces.order", ["system": "pipedrive"])
        let id = ordered["id"]!
        _ = try await admin.call("interfaces.configure", ["id": id, "settings": ["url": .string(pipedrive.baseURL)]])
        _ = try await admin.call("interfaces.setCredentials", ["id": id, "apiToken": .string(token ?? pipedrive.apiToken)])
        return id
    }

    func contactNames(_ client: SwitchboardClient, _ interfaceId: JSONValue) async throws -> [String] {
        try await client.call("contacts.list", ["interfaceId": interfaceId, "limit": 1_000])["items"]?.arrayValue?
            .compactMap { $0["name"]?.stringValue } ?? []
    }

    // MARK: Pipedrive

    @Test func pipedriveImportsThenReadsOnlyChanges() async throws {
        let pipedrive = try await PipedriveSimulator.start()
        let acme = pipedrive.addOrganization(name: "Acme GmbH")
        let hans = pipedrive.addPerson(name: "Hans Müller", phones: ["+49 30 1234567"], emails: ["hans@acme.example"], orgID: acme)
        let anna = pipedrive.addPerson(name: "Anna Virtanen", phones: ["+358 40 0124387"])
        _ = pipedrive.addPerson(name: "Bram de Vries", phones: ["+31 20 123 4567"])
        try await withTestServer { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            let id = try await pipedriveInterface(admin, pipedrive)
            #expect(try await admin.call("interfaces.test", ["id": id])["ok"] == true)

            let first = try await sync(admin, id)
            #expect(first["state"] == "succeeded")
            #expect(first["counts"]?["created"] == 3)
            #expect(try await contactNames(admin, id) == ["Anna Virtanen", "Bram de Vries", "Hans Müller"])
            let caller = try await admin.call("phonebook.lookup", ["number": "030 1234567"])
            #expect(caller["entry"]?["name"] == "Hans Müller")
            #expect(caller["entry"]?["company"] == "Acme GmbH")
            #expect(caller["entry"]?["email"] == "hans@acme.example")
            #expect(caller["entry"]?["externalId"] == .string(String(hans)))
            #expect(pipedrive.requests.allSatisfy { $0.query?.contains("api_token=\(pipedrive.apiToken)") == true })

            // Changed on Pipedrive's side: one renamed, one deleted. The next run asks for changes only.
            pipedrive.clock.advance(by: 5)
            _ = pipedrive.update(anna) { $0.name = "Anna Virtanen-Korhonen" }
            _ = pipedrive.delete(hans)
            let before = pipedrive.requests.count
            let second = try await sync(admin, id)
            #expect(second["state"] == "succeeded")
            #expect(second["counts"]?["updated"] == 1)
            #expect(second["counts"]?["deleted"] == 1)
            #expect(second["counts"]?["created"] == 0)
            let asked = pipedrive.requests.dropFirst(before)
            #expect(asked.contains { $0.path == "/v1/persons/collection" && $0.query?.contains("since=") == true })
            #expect(!asked.contains { $0.path == "/v1/persons" })
            #expect(try await contactNames(admin, id) == ["Anna Virtanen-Korhonen", "Bram de Vries"])
            #expect(try await admin.call("phonebook.lookup", ["number": "+49301234567"])["entry"] == .null)

            // A full run reads everything again and finds nothing new.
            let full = try await sync(admin, id, mode: "full")
            #expect(full["counts"]?["seen"] == 2)
            #expect(full["counts"]?["deleted"] == 0)
        }
        try await pipedrive.shutdown()
    }

    @Test func pipedriveChangeFeedRefusedToNonAdminsFallsBackToAFullRead() async throws {
        let pipedrive = try await PipedriveSimulator.start()
        pipedrive.addAPIToken(.init("regular-user-token", isGlobalAdmin: false))
        let anna = pipedrive.addPerson(name: "Anna Virtanen", phones: ["+358 40 0124387"])
        let bram = pipedrive.addPerson(name: "Bram de Vries", phones: ["+31 20 123 4567"])
        try await withTestServer { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            let id = try await pipedriveInterface(admin, pipedrive, token: "regular-user-token")
            #expect(try await sync(admin, id)["counts"]?["created"] == 2)
            pipedrive.clock.advance(by: 5)
            _ = pipedrive.update(anna) { $0.name = "Anna Korhonen" }
            _ = pipedrive.delete(bram)
            let second = try await sync(admin, id)
            // /persons/collection answered 403: everything was read instead, and the run says why.
            #expect(second["state"] == "succeeded")
            #expect(second["warnings"]?[0]?.stringValue?.contains("global admins") == true)
            #expect(second["counts"]?["updated"] == 1)
            #expect(second["counts"]?["deleted"] == 1)
            #expect(try await contactNames(admin, id) == ["Anna Korhonen"])
        }
        try await pipedrive.shutdown()
    }

    @Test func pipedriveWriteThrough() async throws {
        let pipedrive = try await PipedriveSimulator.start()
        try await withTestServer { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            let id = try await pipedriveInterface(admin, pipedrive)

            let created = try await admin.call("contacts.create", [
                "interfaceId": id, "firstName": "Léa", "lastName": "Durand", "company": "Café Crème",
                "email": "lea@cafe.example", "numbers": [["type": "mobile", "number": "+33 6 12 34 56 78"]],
            ])
            #expect(created["source"] == "S")
            let personId = try #require(Int(try requireString(created["externalId"])))
            let person = try #require(pipedrive.person(personId))
            #expect(person.name == "Léa Durand")
            #expect(person.phones.map(\.value) == ["+33 6 12 34 56 78"])
            #expect(person.phones.first?.label == "mobile")
            #expect(pipedrive.organization(try #require(person.orgID))?.name == "Café Crème")
            // Found by caller ID at once, without a sync.
            #expect(try await admin.call("phonebook.lookup", ["number": "+33612345678"])["entry"]?["id"] == created["id"])

            let organisation = person.orgID
            let updated = try await admin.call("contacts.update", ["id": created["id"]!, "company": "Café Crème", "title": "Chef"])
            #expect(updated["id"] == created["id"])
            #expect(pipedrive.person(personId)?.orgID == organisation)  // found again by name, not made twice

            _ = try await admin.call("contacts.delete", ["id": created["id"]!])
            #expect(pipedrive.person(personId)?.isActive == false)
            #expect(await errorCode { try await admin.call("contacts.get", ["id": created["id"]!]) } == -32004)
        }
        try await pipedrive.shutdown()
    }

    @Test func pipedriveErrorsInItsOwnWords() async throws {
        let pipedrive = try await PipedriveSimulator.start()
        _ = pipedrive.addPerson(name: "Hans Müller", phones: ["+49 30 1234567"])
        try await withTestServer { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            let id = try await pipedriveInterface(admin, pipedrive)
            // Settings are checked when they are set.
            #expect(await errorCode { try await admin.call("interfaces.configure", ["id": id, "settings": ["url": "ftp://pipedrive.example"]]) } == -32022)
            #expect(await errorCode { try await admin.call("interfaces.configure", ["id": id, "settings": ["requestsPerSecond": "0"]]) } == -32022)
            #expect(try await sync(admin, id)["state"] == "succeeded")
            let hans = try #require(try await admin.call("contacts.list", ["interfaceId": id])["items"]?[0])

            // A server error, then success: retried, the user never sees it.
            pipedrive.faults.inject(.serverError(status: 503, body: "maintenance"), count: 2)
            #expect(try await sync(admin, id)["state"] == "succeeded")
            // 429 with Retry-After: waited for, then done.
            pipedrive.faults.inject(.rateLimited(retryAfter: 1))
            #expect(try await sync(admin, id)["state"] == "succeeded")

            // A refusal of a write: -32050 with Pipedrive's status and words; nothing changed here.
            pipedrive.faults.inject(.response(.json(#"{"success":false,"error":"Person name is too long","errorCode":400}"#, status: 400)))
            let refused = await rpcError { try await admin.call("contacts.update", ["id": hans["id"]!, "title": "Dr."]) }
            #expect(refused?.code.rawValue == -32050)
            #expect(refused?.data?["system"] == "Pipedrive")
            #expect(refused?.data?["status"] == 400)
            #expect(refused?.data?["message"] == "Person name is too long")
            #expect(try await admin.call("contacts.get", ["id": hans["id"]!])["title"] == .null)

            // The token revoked: -32051, the interface needs new credentials, and says so.
            pipedrive.removeAPIToken(pipedrive.apiToken)
            let rejected = await rpcError { try await admin.call("contacts.update", ["id": hans["id"]!, "title": "Dr."]) }
            #expect(rejected?.code.rawValue == -32051)
            #expect(rejected?.data?["message"] == "unauthorized access")
            let interface = try await admin.call("interfaces.get", ["id": id])
            #expect(interface["health"] == "needs_reauth")
            let failed = try await sync(admin, id)
            #expect(failed["state"] == "failed")
            #expect(failed["failure"]?.stringValue?.contains("401") == true)
            // The entries are still there, as they were.
            #expect(try await contactNames(admin, id) == ["Hans Müller"])
        }
        try await pipedrive.shutdown()
    }

    @Test func pipedriveOAuthRefreshRotatesAndIsStored() async throws {
        let pipedrive = try await PipedriveSimulator.start()
        _ = pipedrive.addPerson(name: "Hans Müller", phones: ["+49 30 1234567"])
        let tokens = try #require(pipedrive.oauth.issueTokens(for: pipedrive.defaultClient.id))
        try await withTestServer { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            let ordered = try await admin.call("interfaces.order", ["system": "pipedrive"])
            let id = ordered["id"]!
            _ = try await admin.call("interfaces.configure", [
                "id": id, "settings": ["url": .string(pipedrive.baseURL), "tokenURL": .string(pipedrive.tokenURL)],
            ])
            _ = try await admin.call("interfaces.setCredentials", [
                "id": id, "accessToken": .string(tokens.accessToken), "refreshToken": .string(tokens.refreshToken),
                "clientId": .string(pipedrive.defaultClient.id), "clientSecret": .string(pipedrive.defaultClient.secret),
            ])
            #expect(try await sync(admin, id)["state"] == "succeeded")

            // The access token expires: refreshed once, the new (rotated) pair stored; twice in a row works.
            pipedrive.oauth.expireAllAccessTokens()
            #expect(try await sync(admin, id, mode: "full")["state"] == "succeeded")
            pipedrive.oauth.expireAllAccessTokens()
            #expect(try await sync(admin, id, mode: "full")["state"] == "succeeded")
            let refreshes = pipedrive.requests.filter { $0.path == PipedriveSimulator.tokenPath }
            #expect(refreshes.count == 2)
            // Each refresh used the token the one before handed out (a used one would be refused).
            let used = refreshes.map { String(decoding: $0.body, as: UTF8.self) }
            #expect(used.first?.contains("refresh_token=\(tokens.refreshToken)") == true)
            #expect(used.last?.contains("refresh_token=\(tokens.refreshToken)") == false)
            let interface = try await admin.call("interfaces.get", ["id": id])
            #expect(interface["health"] == "ok")
            #expect(interface["credentials"]?["accessTokenExpiresAt"] != nil)
        }
        try await pipedrive.shutdown()
    }

    // MARK: sipgate

    func sipgateInterface(_ admin: SwitchboardClient, _ sipgate: SipgateSimulator) async throws -> JSONValue {
        let ordered = try await admin.call("interfaces.order", ["system": "sipgate"])
        let id = ordered["id"]!
        _ = try await admin.call("interfaces.configure", ["id": id, "settings": ["url": .string(sipgate.baseURL)]])
        _ = try await admin.call("interfaces.setCredentials", [
            "id": id, "tokenId": .string(sipgate.defaultToken.tokenID), "token": .string(sipgate.defaultToken.token),
        ])
        return id
    }

    @Test func sipgateImportsOwnAndSharedAndWritesShared() async throws {
        let sipgate = try await SipgateSimulator.start()
        _ = sipgate.add(SipgateContact(name: "Anna Muster", numbers: [.init(number: "+4930123456", type: ["work"])],
                                       organization: [["Muster GmbH"]], scope: .shared))
        _ = sipgate.add(SipgateContact(name: "Private Pete", numbers: [.init(number: "+4917012345678", type: ["cell"])], scope: .private))
        _ = sipgate.add(SipgateContact(name: "Internal Irene", numbers: [.init(number: "+4921100000", type: ["work"])], scope: .internal))
        try await withTestServer { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            let id = try await sipgateInterface(admin, sipgate)
            #expect(try await admin.call("interfaces.test", ["id": id])["ok"] == true)
            #expect(try await sync(admin, id)["counts"]?["created"] == 2)
            #expect(try await contactNames(admin, id) == ["Anna Muster", "Private Pete"])
            #expect(try await admin.call("contacts.list", ["scope": "own"])["items"]?[0]?["name"] == "Private Pete")
            let anna = try await admin.call("phonebook.lookup", ["number": "030 123456"])["entry"]
            #expect(anna?["company"] == "Muster GmbH")
            #expect(anna?["scope"] == "shared")

            let created = try await admin.call("contacts.create", [
                "interfaceId": id, "name": "Jukka Korhonen", "company": "Kahvila Oy",
                "numbers": [["type": "mobile", "number": "+358 40 0124387"]],
            ])
            #expect(created["scope"] == "shared")
            let stored = try #require(sipgate.contact(try requireString(created["externalId"])))
            #expect(stored.scope == .shared)
            #expect(stored.name == "Jukka Korhonen")
            #expect(stored.organization == [["Kahvila Oy"]])
            #expect(stored.numbers.first?.type == ["cell"])

            _ = try await admin.call("contacts.update", ["id": created["id"]!, "company": "Kahvila Ab"])
            #expect(sipgate.contact(try requireString(created["externalId"]))?.organization == [["Kahvila Ab"]])
            _ = try await admin.call("contacts.delete", ["id": created["id"]!])
            #expect(sipgate.contact(try requireString(created["externalId"])) == nil)

            // Deleted on sipgate's side: gone after the next (full) read.
            let pete = try #require(sipgate.contacts.first { $0.name == "Private Pete" })
            _ = sipgate.remove(pete.id)
            #expect(try await sync(admin, id)["counts"]?["deleted"] == 1)
            #expect(try await contactNames(admin, id) == ["Anna Muster"])
        }
        try await sipgate.shutdown()
    }

    @Test func sipgateOAuthRefreshAndTransientErrors() async throws {
        let sipgate = try await SipgateSimulator.start()
        _ = sipgate.add(SipgateContact(name: "Anna Muster", numbers: [.init(number: "+4930123456", type: ["work"])], scope: .shared))
        let tokens = try #require(sipgate.oauth.issueTokens(for: sipgate.defaultClient.id))
        try await withTestServer { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            let id = try await admin.call("interfaces.order", ["system": "sipgate"])["id"]!
            _ = try await admin.call("interfaces.configure", [
                "id": id, "settings": ["url": .string(sipgate.baseURL), "tokenURL": .string(sipgate.tokenURL)],
            ])
            _ = try await admin.call("interfaces.setCredentials", [
                "id": id, "accessToken": .string(tokens.accessToken), "refreshToken": .string(tokens.refreshToken),
                "clientId": .string(sipgate.defaultClient.id), "clientSecret": .string(sipgate.defaultClient.secret),
            ])
            #expect(try await sync(admin, id)["counts"]?["created"] == 1)
            #expect(sipgate.requests.contains { $0.header("Authorization") == "Bearer \(tokens.accessToken)" })

            // Access tokens live minutes at sipgate: an expired one is refreshed (client in the form, Keycloak style).
            sipgate.oauth.expireAllAccessTokens()
            #expect(try await sync(admin, id, mode: "full")["state"] == "succeeded")
            let refresh = try #require(sipgate.requests.last { $0.path == SipgateSimulator.tokenPath })
            let form = String(decoding: refresh.body, as: UTF8.self)
            #expect(form.contains("grant_type=refresh_token"))
            #expect(form.contains("client_id=\(sipgate.defaultClient.id)"))

            // 502 twice and a 429: retried and waited for; the write goes through.
            sipgate.faults.inject(.serverError(status: 502, body: "bad gateway"), count: 2)
            sipgate.faults.inject(.rateLimited(retryAfter: 1))
            let created = try await admin.call("contacts.create", ["interfaceId": id, "name": "Jukka Korhonen", "numbers": [["number": "+358 40 0124387"]]])
            #expect(sipgate.contact(try requireString(created["externalId"]))?.name == "Jukka Korhonen")

            // The session ended at sipgate (Keycloak refuses the refresh token): a credentials problem, in its words.
            sipgate.oauth.expireAllAccessTokens()
            sipgate.faults.inject(.response(.json(#"{"error":"invalid_grant","error_description":"Session not active"}"#, status: 400)), on: .tokenEndpoint)
            let failed = try await sync(admin, id)
            #expect(failed["state"] == "failed")
            #expect(failed["failure"]?.stringValue?.contains("Session not active") == true)
            #expect(try await admin.call("interfaces.get", ["id": id])["health"] == "needs_reauth")
            #expect(try await admin.call("contacts.list", ["interfaceId": id])["items"]?.arrayValue?.count == 2)
        }
        try await sipgate.shutdown()
    }

    @Test func sipgateReadOnlyTokenIsRefusedInSipgatesTerms() async throws {
        let sipgate = try await SipgateSimulator.start()
        sipgate.addToken(.init(tokenID: "token-RO", token: "secret", scopes: ["contacts:read"]))
        _ = sipgate.add(SipgateContact(name: "Anna Muster", numbers: [.init(number: "+4930123456", type: ["work"])], scope: .shared))
        try await withTestServer { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            let id = try await sipgateInterface(admin, sipgate)
            _ = try await admin.call("interfaces.setCredentials", ["id": id, "tokenId": "token-RO", "token": "secret"])
            #expect(try await sync(admin, id)["state"] == "succeeded")
            let refused = await rpcError { try await admin.call("contacts.create", ["interfaceId": id, "name": "New One"]) }
            #expect(refused?.code.rawValue == -32050)
            #expect(refused?.data?["status"] == 403)
            #expect(try await contactNames(admin, id) == ["Anna Muster"])
            // Wrong credentials altogether.
            _ = try await admin.call("interfaces.setCredentials", ["id": id, "token": "wrong"])
            let run = try await sync(admin, id)
            #expect(run["state"] == "failed")
            #expect(try await admin.call("interfaces.get", ["id": id])["health"] == "needs_reauth")
        }
        try await sipgate.shutdown()
    }
}

/// The error a call failed with, or nil when it succeeded or failed otherwise.
func rpcError(_ body: () async throws -> JSONValue) async -> RPCError? {
    do {
        _ = try await body()
        return nil
    } catch let error as RPCError {
        return error
    } catch {
        return nil
    }
}
