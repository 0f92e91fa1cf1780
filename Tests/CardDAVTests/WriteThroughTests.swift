import Foundation
import RadicaleTestServer
import SwitchboardConnectors
import SwitchboardCore
import Testing

/// Write-through against a real Radicale: what the connector writes is checked in Radicale's
/// storage folder, not through the connector.
@Suite("CardDAV write-through against Radicale")
struct WriteThroughTests {
    let connector = CardDAVConnector()

    @Test("create, update and delete are visible on Radicale; the update keeps what another client stored")
    func createUpdateDelete() async throws {
        try await RadicaleServer.with { radicale in
            let book = try await radicale.createAddressBook(user: "alice", name: "contacts", displayName: "Contacts")
            let context = davContext(radicale, url: radicale.baseURL)

            // Create: a new card at <UID>.vcf, vCard 3.0 as Radicale advertises.
            let fields = PhonebookFields(firstName: "Eeva", lastName: "Mäkinen", company: "Mäkinen & Co", department: "Support", title: "Lead",
                                         email: "eeva@makinen.example", note: "Call after 10, not before",
                                         numbers: [(.phone, "+358 9 555 0101"), (.mobile, "+358 40 555 0102")])
            let created = try await connector.create(context, fields)
            #expect(created.externalId.hasPrefix(book))
            #expect(created.externalId.hasSuffix(".vcf"))
            let file = String(created.externalId.dropFirst(book.count))
            var stored = try radicale.storedCards(user: "alice", addressBook: "contacts")
            #expect(Array(stored.keys) == [file])
            let text = try #require(stored[file])
            #expect(text.contains("VERSION:3.0"))
            #expect(text.contains("UID:\(file.dropLast(4))"))
            #expect(text.contains("FN:Eeva Mäkinen"))
            #expect(text.contains("N:Mäkinen;Eeva;;;"))
            #expect(text.contains("ORG:Mäkinen & Co;Support"))
            #expect(text.contains("NOTE:Call after 10\\, not before"))
            #expect(text.contains("TEL;TYPE=CELL,VOICE:+358 40 555 0102"))
            #expect(text.contains("TEL;TYPE=WORK,VOICE:+358 9 555 0101"))
            let served = try #require(try await radicale.card(user: "alice", path: created.externalId))
            #expect(created.version == served.etag)
            #expect(numbers(created) == ["phone:+358 9 555 0101", "mobile:+358 40 555 0102"])

            // Another client adds what the phonebook has no field for.
            let enriched = served.text.replacingOccurrences(
                of: "END:VCARD", with: "X-SPOUSE:Matti\r\nADR;TYPE=HOME:;;Kotikatu 2;Espoo;;02100;Finland\r\nEMAIL;TYPE=HOME:eeva@home.example\r\nEND:VCARD")
            let etag = try await radicale.putCard(user: "alice", path: created.externalId, enriched)

            // Update with the current ETag: the changed fields are written, the rest stays.
            var changed = fields
            changed.title = "Head of support"
            changed.numbers = [(.phone, "+358 9 555 0101"), (.home, "+358 9 555 0199")]
            let updated = try await connector.update(context, externalId: created.externalId, version: etag, scope: nil, changed)
            #expect(updated.externalId == created.externalId)
            #expect(updated.version != nil && updated.version != etag)
            stored = try radicale.storedCards(user: "alice", addressBook: "contacts")
            let after = try #require(stored[file])
            #expect(after.contains("TITLE:Head of support"))
            #expect(!after.contains("0102"))
            #expect(after.contains("+358 9 555 0199"))
            #expect(after.contains("X-SPOUSE:Matti"))
            #expect(after.contains("Kotikatu 2"))
            #expect(after.contains("eeva@home.example"))
            #expect(after.contains("eeva@makinen.example"))
            #expect(numbers(updated) == ["phone:+358 9 555 0101", "home:+358 9 555 0199"])
            #expect(updated.version == (try await radicale.card(user: "alice", path: created.externalId))?.etag)

            // Delete with the version just returned.
            try await connector.delete(context, externalId: created.externalId, version: updated.version)
            #expect(try radicale.storedCards(user: "alice", addressBook: "contacts").isEmpty)
            #expect(try await radicale.card(user: "alice", path: created.externalId) == nil)
            // Deleting what is already gone is not an error.
            try await connector.delete(context, externalId: created.externalId, version: updated.version)
        }
    }

    @Test("a stale ETag is refused (412): the change made on Radicale is not overwritten or deleted")
    func staleETag() async throws {
        try await RadicaleServer.with { radicale in
            let book = try await radicale.createAddressBook(user: "alice", name: "contacts")
            let path = book + "anna.vcf"
            let old = try await radicale.putCard(user: "alice", path: path, Cards.anna)
            let context = davContext(radicale, url: radicale.baseURL + book)
            // Someone edits the card on the server after the phonebook read it.
            try await radicale.putCard(user: "alice", path: path, Cards.anna.replacingOccurrences(of: "Sales manager", with: "Director"))

            await #expect {
                _ = try await connector.update(context, externalId: path, version: old, scope: nil, PhonebookFields(displayName: "Anna V", numbers: [(.mobile, "1")]))
            } throws: { error in
                let error = error as? ConnectorError
                return error?.kind == .remote && error?.status == 412 && error?.message.contains("changed on the server since") == true
            }
            await #expect {
                try await connector.delete(context, externalId: path, version: old)
            } throws: { error in
                let error = error as? ConnectorError
                return error?.kind == .remote && error?.status == 412 && error?.message.contains("changed on the server since") == true
            }
            let card = try #require(try await radicale.card(user: "alice", path: path))
            #expect(card.text.contains("TITLE:Director"))
            #expect(card.text.contains("FN:Anna Virtanen"))
        }
    }

    @Test("updating a card that was deleted on the server says so")
    func updateDeleted() async throws {
        try await RadicaleServer.with { radicale in
            let book = try await radicale.createAddressBook(user: "alice", name: "contacts")
            let etag = try await radicale.putCard(user: "alice", path: book + "anna.vcf", Cards.anna)
            try await radicale.deleteCard(user: "alice", path: book + "anna.vcf")
            await #expect {
                _ = try await connector.update(davContext(radicale, url: radicale.baseURL), externalId: book + "anna.vcf", version: etag, scope: nil,
                                               PhonebookFields(displayName: "Anna"))
            } throws: { error in
                let error = error as? ConnectorError
                return error?.status == 404 && error?.message.contains("no longer on the server") == true
            }
        }
    }

    @Test("a written card reads back the same through a sync")
    func roundTrip() async throws {
        try await RadicaleServer.with { radicale in
            _ = try await radicale.createAddressBook(user: "alice", name: "contacts")
            let context = davContext(radicale, url: radicale.baseURL + "/alice/")
            let fields = PhonebookFields(displayName: "Zoë O'Brien; CEO", company: "Łódź, Sp. z o.o.", note: "multi\nline\\note",
                                         numbers: [(.fax, "+48 42 000 00 00"), (.other, "+48 42 000 00 01")])
            let created = try await connector.create(context, fields)
            let sink = CollectingSink()
            _ = try await connector.read(context, previous: nil, into: sink)
            let read = try #require(await sink.contact(created.externalId))
            #expect(read.version == created.version)
            #expect(read.fields.displayName == "Zoë O'Brien; CEO")
            #expect(read.fields.company == "Łódź, Sp. z o.o.")
            #expect(read.fields.note == "multi\nline\\note")
            #expect(numbers(read) == ["fax:+48 42 000 00 00", "other:+48 42 000 00 01"])
        }
    }
}
