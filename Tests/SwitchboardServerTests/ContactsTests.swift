import Foundation
import JSONRPC
import SwitchboardClient
import SwitchboardTestSupport
import Testing

/// Contacts through the protocol: the synced entries of connected systems,
/// read from the local mirror (issue 6). Write-through is tested with the
/// connectors that can write (CardDAV, sipgate, Pipedrive).
@Suite struct ContactsTests {
    @Test func contactsAreTheSyncedEntriesOfTheAccount() async throws {
        let csvDirectory = TestServer.makeTemporaryDirectory()
        try "id,name,company,phone\n1,Hans Müller,Müller GmbH,030 1234567\n2,Anna Virtanen,Firma Oy,+358 9 1234567\n"
            .write(toFile: csvDirectory + "/a.csv", atomically: true, encoding: .utf8)
        try "id,name,phone\n1,Bram de Vries,+31 20 123 4567\n".write(toFile: csvDirectory + "/b.csv", atomically: true, encoding: .utf8)
        try await withTestServer(configure: { $0.sync.csvDirectory = csvDirectory }) { server in
            let fixture = try await AccountFixture.make(on: server)
            let admin = try await fixture.client("admin", on: server)
            let user = try await fixture.client("user", on: server)
            let first = try await csvInterface(admin, settings: ["path": "a.csv"])
            let second = try await csvInterface(admin, settings: ["path": "b.csv"])
            #expect(try await sync(admin, first["id"])["state"] == "succeeded")
            #expect(try await sync(admin, second["id"])["state"] == "succeeded")
            let manual = try await admin.call("phonebook.create", ["name": "Zoë Manual", "numbers": [["number": "+49 40 1111111"]]])

            // Every user sees the contacts; manual entries are not contacts.
            let all = try await user.call("contacts.list")
            #expect(all["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Anna Virtanen", "Bram de Vries", "Hans Müller"])
            #expect(all["items"]?.arrayValue?.allSatisfy { $0["source"] == "S" && $0["externalId"] != nil } == true)
            let ofFirst = try await user.call("contacts.list", ["interfaceId": first["id"]!, "limit": 1])
            #expect(ofFirst["items"]?[0]?["name"] == "Anna Virtanen")
            let next = try await user.call("contacts.list", ["interfaceId": first["id"]!, "limit": 1, "cursor": ofFirst["nextCursor"]!])
            #expect(next["items"]?[0]?["name"] == "Hans Müller")
            #expect(next["nextCursor"] == .null)
            // A CSV file has no scopes: asking for shared ones finds none.
            #expect(try await user.call("contacts.list", ["scope": "shared"])["items"]?.arrayValue?.isEmpty == true)

            let hits = try await user.call("contacts.search", ["q": "müller"])
            #expect(hits["items"]?.arrayValue?.count == 1)
            #expect(try await user.call("contacts.search", ["q": "zoë"])["items"]?.arrayValue?.isEmpty == true)
            #expect(try await user.call("contacts.search", ["q": "1234567", "interfaceId": second["id"]!])["items"]?[0]?["name"] == "Bram de Vries")

            let hans = try #require(hits["items"]?[0])
            #expect(try await user.call("contacts.get", ["id": hans["id"]!])["company"] == "Müller GmbH")
            #expect(await errorCode { try await user.call("contacts.get", ["id": manual["id"]!]) } == -32004)

            // Writing needs an admin, and a system that can write contacts.
            #expect(await errorCode { try await user.call("contacts.delete", ["id": hans["id"]!]) } == -32003)
            #expect(await errorCode { try await admin.call("contacts.update", ["id": hans["id"]!, "company": "X"]) } == -32009)
            #expect(await errorCode { try await admin.call("contacts.create", ["interfaceId": first["id"]!, "name": "New"]) } == -32009)
            // Bad input is refused before any system is asked.
            #expect(await errorCode { try await admin.call("contacts.create", ["interfaceId": first["id"]!]) } == -32022)
            #expect(try await user.call("contacts.get", ["id": hans["id"]!])["company"] == "Müller GmbH")

            // Another account sees none of them, and cannot name the interface.
            let other = try await AccountFixture.make(on: server, name: "Other")
            let stranger = try await other.client("admin", on: server)
            #expect(try await stranger.call("contacts.list")["items"]?.arrayValue?.isEmpty == true)
            #expect(await errorCode { try await stranger.call("contacts.list", ["interfaceId": first["id"]!]) } == -32004)
            #expect(await errorCode { try await stranger.call("contacts.get", ["id": hans["id"]!]) } == -32004)
            #expect(try await stranger.call("contacts.search", ["q": "müller"])["items"]?.arrayValue?.isEmpty == true)
        }
    }
}
