import Foundation
import RadicaleTestServer
import SwitchboardConnectors
import SwitchboardCore
import Testing

/// The CardDAV connector against a real Radicale (`pip install radicale`): every test starts its
/// own server on a free loopback port with its own storage folder, and stops it at the end.
@Suite("CardDAV against Radicale")
struct CardDAVTests {
    let connector = CardDAVConnector()

    /// Alice's "contacts" address book with Anna (3.0), Björn (4.0) and Carl (Apple-style labels).
    static func seeded(_ radicale: RadicaleServer) async throws -> String {
        let book = try await radicale.createAddressBook(user: "alice", name: "contacts", displayName: "Contacts")
        try await radicale.putCard(user: "alice", path: book + "anna.vcf", Cards.anna)
        try await radicale.putCard(user: "alice", path: book + "bjorn.vcf", Cards.bjorn)
        try await radicale.putCard(user: "alice", path: book + "carl.vcf", Cards.carl)
        return book
    }

    @Test("discovery from the server root, the principal and the address book itself")
    func discovery() async throws {
        try await RadicaleServer.with(users: ["alice": "secret", "bob": "hunter2"]) { radicale in
            let book = try await Self.seeded(radicale)
            try await radicale.createAddressBook(user: "bob", name: "bobs", displayName: "Bob's")
            let urls = [radicale.baseURL, radicale.baseURL + "/", radicale.baseURL + "/alice/", radicale.baseURL + book,
                        radicale.baseURL + "/.well-known/carddav"]  // Radicale redirects it to the root
            for url in urls {
                let report = try await connector.test(davContext(radicale, url: url))
                #expect(report.hasPrefix("address book \"Contacts\" at \(radicale.baseURL)/alice/contacts/: 3 cards"), "\(url): \(report)")
                #expect(report.contains("sync-collection"))
                #expect(report.contains("vCard 3.0"))  // Radicale lists only 3.0 in supported-address-data
            }
            // Bob's root discovery finds Bob's book, not Alice's.
            let bobs = try await connector.test(davContext(radicale, url: radicale.baseURL, user: "bob"))
            #expect(bobs.hasPrefix("address book \"Bob's\" at \(radicale.baseURL)/bob/bobs/: 0 cards"), "\(bobs)")
            // Bob's book is not Alice's to read: Radicale's refusal, status and words as it said them.
            await #expect {
                try await connector.test(davContext(radicale, url: radicale.baseURL + "/bob/bobs/"))
            } throws: { error in
                let error = error as? ConnectorError
                return error?.kind == .remote && error?.status == 403 && error?.systemMessage == "Access to the requested resource forbidden."
            }
        }
    }

    @Test("with several address books: the first by href, or the one named by display name or path segment")
    func choosingAnAddressBook() async throws {
        try await RadicaleServer.with { radicale in
            _ = try await Self.seeded(radicale)
            let work = try await radicale.createAddressBook(user: "alice", name: "work", displayName: "Work people")
            try await radicale.putCard(user: "alice", path: work + "w.vcf", Cards.carl)
            let first = try await connector.test(davContext(radicale, url: radicale.baseURL + "/alice/"))
            #expect(first.contains("/alice/contacts/: 3 cards"))
            for name in ["Work people", "work people", "work"] {
                let named = try await connector.test(davContext(radicale, url: radicale.baseURL, addressBook: name))
                #expect(named.hasPrefix("address book \"Work people\" at \(radicale.baseURL)/alice/work/: 1 cards"), "\(name): \(named)")
            }
            await #expect {
                try await connector.test(davContext(radicale, url: radicale.baseURL, addressBook: "Holiday cards"))
            } throws: { error in
                let error = error as? ConnectorError
                return error?.kind == .configuration && error?.field == "addressBook" && error?.message.contains("Work people") == true
            }
        }
    }

    @Test("the initial import reads every card: names, company, numbers with kinds, href keys, ETag versions")
    func initialImport() async throws {
        try await RadicaleServer.with { radicale in
            let book = try await Self.seeded(radicale)
            let sink = CollectingSink()
            let result = try await connector.read(davContext(radicale, url: radicale.baseURL), previous: nil, into: sink)
            guard case .complete(let fingerprint) = result else { Issue.record("not complete: \(result)"); return }
            #expect(fingerprint.cursor?.hasPrefix("http://radicale.org/ns/sync/") == true)
            let contacts = await sink.contacts
            #expect(Set(contacts.map(\.externalId)) == [book + "anna.vcf", book + "bjorn.vcf", book + "carl.vcf"])
            #expect(await sink.rejected.isEmpty)

            let anna = await sink.contact(book + "anna.vcf")
            #expect(anna?.fields.displayName == "Anna Virtanen")
            #expect(anna?.fields.firstName == "Anna")
            #expect(anna?.fields.lastName == "Virtanen")
            #expect(anna?.fields.company == "Virtanen Oy")
            #expect(anna?.fields.department == "Sales")
            #expect(anna?.fields.title == "Sales manager")
            #expect(anna?.fields.email == "anna@virtanen.example")
            #expect(numbers(anna) == ["mobile:+358 40 123 4567", "phone:+358 9 123 456"])
            #expect(anna?.version == (try await radicale.card(user: "alice", path: book + "anna.vcf"))?.etag)
            #expect(anna?.version?.hasPrefix("\"") == true)

            let bjorn = await sink.contact(book + "bjorn.vcf")
            #expect(bjorn?.fields.displayName == "Björn Åström")
            #expect(numbers(bjorn) == ["home:+46-8-123-456", "fax:+46 8 123 457"])
            #expect(numbers(await sink.contact(book + "carl.vcf")) == ["other:+49 30 1234567"])
        }
    }

    @Test("a delta after an edit and a delete made on Radicale brings exactly those two; then nothing")
    func delta() async throws {
        try await RadicaleServer.with { radicale in
            let book = try await Self.seeded(radicale)
            let context = davContext(radicale, url: radicale.baseURL + "/alice/")
            guard case .complete(let first) = try await connector.read(context, previous: nil, into: CollectingSink()) else {
                Issue.record("the first read was not complete"); return
            }
            try await radicale.putCard(user: "alice", path: book + "anna.vcf", Cards.anna.replacingOccurrences(of: "+358 40 123 4567", with: "+358 50 999 0000"))
            try await radicale.deleteCard(user: "alice", path: book + "bjorn.vcf")

            let sink = CollectingSink()
            let result = try await connector.read(context, previous: first, into: sink)
            guard case .delta(let second) = result else { Issue.record("not a delta: \(result)"); return }
            #expect(second.cursor != nil && second.cursor != first.cursor)
            #expect(await sink.contacts.map(\.externalId) == [book + "anna.vcf"])
            #expect(numbers(await sink.contacts.first) == ["mobile:+358 50 999 0000", "phone:+358 9 123 456"])
            #expect(await sink.removed == [book + "bjorn.vcf"])
            #expect(await sink.warnings.isEmpty)

            let again = CollectingSink()
            #expect(try await connector.read(context, previous: second, into: again) == .unchanged)
            #expect(await again.contacts.isEmpty)

            // A card created on Radicale comes as the only change of the next delta.
            try await radicale.putCard(user: "alice", path: book + "dora.vcf", Cards.crlf("BEGIN:VCARD\nVERSION:3.0\nUID:dora\nFN:Dora\nTEL:123\nEND:VCARD\n"))
            let third = CollectingSink()
            guard case .delta = try await connector.read(context, previous: second, into: third) else { Issue.record("not a delta"); return }
            #expect(await third.contacts.map(\.externalId) == [book + "dora.vcf"])
            #expect(await third.removed.isEmpty)
        }
    }

    @Test("a sync token Radicale does not know falls back to a complete read, with a warning")
    func invalidToken() async throws {
        try await RadicaleServer.with { radicale in
            _ = try await Self.seeded(radicale)
            let sink = CollectingSink()
            let stale = SourceFingerprint(cursor: "http://radicale.org/ns/sync/0000000000000000000000000000000000000000000000000000000000000000")
            let result = try await connector.read(davContext(radicale, url: radicale.baseURL), previous: stale, into: sink)
            guard case .complete(let fingerprint) = result else { Issue.record("not complete: \(result)"); return }
            #expect(fingerprint.cursor != stale.cursor)
            #expect(await sink.contacts.count == 3)
            let warnings = await sink.warnings
            #expect(warnings.count == 1)
            #expect(warnings.first?.contains("403") == true)
        }
    }

    @Test("more cards than one multiget batch all arrive")
    func batches() async throws {
        try await RadicaleServer.with { radicale in
            let book = try await radicale.putAddressBook(user: "alice", name: "big", cards: (0..<230).map { i in
                Cards.crlf("BEGIN:VCARD\nVERSION:3.0\nUID:c\(i)\nFN:Person \(i)\nTEL;TYPE=CELL:+358 40 \(1_000_000 + i)\nEND:VCARD\n")
            })
            let sink = CollectingSink()
            _ = try await connector.read(davContext(radicale, url: radicale.baseURL + book), previous: nil, into: sink)
            let contacts = await sink.contacts
            #expect(contacts.count == 230)
            #expect(Set(contacts.map(\.externalId)).count == 230)
            #expect(contacts.allSatisfy { $0.version != nil && $0.fields.numbers?.first?.kind == .mobile })
            #expect(contacts.contains { $0.externalId == book + "c229.vcf" && $0.fields.displayName == "Person 229" })
        }
    }

    @Test("a wrong password is .unauthorized with Radicale's own words")
    func wrongPassword() async throws {
        try await RadicaleServer.with { radicale in
            _ = try await Self.seeded(radicale)
            let context = davContext(radicale, url: radicale.baseURL, password: "wrong")
            for attempt in [{ _ = try await connector.test(context) }, { _ = try await connector.read(context, previous: nil, into: CollectingSink()) }]
                as [@Sendable () async throws -> Void] {
                do {
                    try await attempt()
                    Issue.record("a wrong password was accepted")
                } catch let error as ConnectorError {
                    #expect(error.kind == .unauthorized)
                    #expect(error.status == 401)
                    #expect(error.systemMessage == "Access to the requested resource forbidden.")
                    #expect(error.message.contains("CardDAV answered 401 to PROPFIND /"))
                }
            }
        }
    }
}
