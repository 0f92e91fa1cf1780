import Foundation
import JSONRPC
import RadicaleTestServer
import SwitchboardClient
import SwitchboardTestSupport
import Testing

/// A CardDAV interface end to end through the protocol, against a real Radicale (issue 6):
/// import, a delta after changes made directly on Radicale, write-through seen on Radicale.
@Suite struct CardDAVInterfaceTests {
    static func card(_ uid: String, _ name: String, _ tel: String, org: String? = nil) -> String {
        var lines = ["BEGIN:VCARD", "VERSION:3.0", "UID:\(uid)", "FN:\(name)", "N:\(name.split(separator: " ").last ?? "");\(name.split(separator: " ").first ?? "");;;",
                     "TEL;TYPE=WORK,VOICE:\(tel)"]
        if let org { lines.append("ORG:\(org)") }
        lines.append("END:VCARD")
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    @Test func importDeltaAndWriteThrough() async throws {
        try await RadicaleServer.with { radicale in
            let book = try await radicale.createAddressBook(user: "alice", name: "contacts", displayName: "Contacts")
            _ = try await radicale.putCard(user: "alice", path: book + "hans.vcf", Self.card("hans", "Hans Müller", "+49 30 1234567", org: "Müller GmbH"))
            _ = try await radicale.putCard(user: "alice", path: book + "anna.vcf", Self.card("anna", "Anna Virtanen", "+358 40 0124387"))
            try await withTestServer { server in
                let fixture = try await AccountFixture.make(on: server)
                let admin = try await fixture.client("admin", on: server)
                let id = try await admin.call("interfaces.order", ["system": "carddav", "name": "Radicale"])["id"]!
                // The server root: the address book is discovered.
                _ = try await admin.call("interfaces.configure", ["id": id, "settings": ["url": .string(radicale.baseURL + "/"), "username": "alice"]])
                _ = try await admin.call("interfaces.setCredentials", ["id": id, "password": "secret"])
                let test = try await admin.call("interfaces.test", ["id": id])
                #expect(test["ok"] == true)

                let first = try await sync(admin, id)
                #expect(first["counts"]?["created"] == 2)
                #expect(try await admin.call("phonebook.lookup", ["number": "030 1234567"])["entry"]?["company"] == "Müller GmbH")

                // Changed directly on Radicale: one edited, one deleted, one added. Only those come through.
                _ = try await radicale.putCard(user: "alice", path: book + "hans.vcf", Self.card("hans", "Hans Müller", "+49 30 7654321", org: "Müller AG"))
                try await radicale.deleteCard(user: "alice", path: book + "anna.vcf")
                _ = try await radicale.putCard(user: "alice", path: book + "bram.vcf", Self.card("bram", "Bram de Vries", "+31 20 123 4567"))
                let second = try await sync(admin, id)
                #expect(second["state"] == "succeeded")
                #expect(second["counts"]?["seen"] == 2)
                #expect(second["counts"]?["created"] == 1)
                #expect(second["counts"]?["updated"] == 1)
                #expect(second["counts"]?["deleted"] == 1)
                let names = try await admin.call("contacts.list", ["interfaceId": id])["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
                #expect(names == ["Bram de Vries", "Hans Müller"])
                #expect(try await admin.call("phonebook.lookup", ["number": "030 7654321"])["entry"]?["company"] == "Müller AG")

                // Written through: on Radicale at once, and in the phonebook without a sync.
                let created = try await admin.call("contacts.create", [
                    "interfaceId": id, "firstName": "Eeva", "lastName": "Mäkinen", "numbers": [["type": "mobile", "number": "+358 40 555 0102"]],
                ])
                let path = try requireString(created["externalId"])
                let stored = try #require(try await radicale.card(user: "alice", path: path))
                #expect(stored.text.contains("FN:Eeva Mäkinen"))
                #expect(created["remoteVersion"] == .string(stored.etag))
                _ = try await admin.call("contacts.update", ["id": created["id"]!, "company": "Mäkinen Oy"])
                #expect(try await radicale.card(user: "alice", path: path)?.text.contains("ORG:Mäkinen Oy") == true)

                // Someone else changes the card on Radicale: our stale version is refused, nothing changes here.
                let uid = String(path.split(separator: "/").last!.dropLast(4))  // the card keeps its UID
                _ = try await radicale.putCard(user: "alice", path: path, Self.card(uid, "Eeva Mäkinen", "+358 40 555 0199"))
                let refused = await rpcError { try await admin.call("contacts.update", ["id": created["id"]!, "title": "CEO"]) }
                #expect(refused?.code.rawValue == -32050)
                #expect(refused?.data?["status"] == 412)
                #expect(try await admin.call("contacts.get", ["id": created["id"]!])["title"] == .null)

                // After a sync the new version is known and the change goes through; then the delete.
                _ = try await sync(admin, id)
                _ = try await admin.call("contacts.update", ["id": created["id"]!, "title": "CEO"])
                #expect(try await radicale.card(user: "alice", path: path)?.text.contains("TITLE:CEO") == true)
                _ = try await admin.call("contacts.delete", ["id": created["id"]!])
                #expect(try await radicale.card(user: "alice", path: path) == nil)

                // A wrong password: the run fails, the interface needs new credentials, entries stay.
                _ = try await admin.call("interfaces.setCredentials", ["id": id, "password": "wrong"])
                let failed = try await sync(admin, id)
                #expect(failed["state"] == "failed")
                #expect(try await admin.call("interfaces.get", ["id": id])["health"] == "needs_reauth")
                #expect(try await admin.call("contacts.list", ["interfaceId": id])["items"]?.arrayValue?.count == 2)
            }
        }
    }
}
