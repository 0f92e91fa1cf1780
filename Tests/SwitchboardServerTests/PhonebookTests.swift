import Foundation
import JSONRPC
import SwitchboardClient
import SwitchboardCore
import SwitchboardServices
import SwitchboardTestSupport
import Testing

/// The company phonebook over the protocol, against a real server.
@Suite struct PhonebookTests {
    func create(_ client: SwitchboardClient, _ params: JSONObject) async throws -> JSONValue {
        try await client.call("phonebook.create", params)
    }

    func names(_ page: JSONValue) -> [String] {
        page["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }

    @Test func lookupFindsAStoredNumberWrittenAnyWay() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            let entry = try await create(op, ["name": "Hans Müller", "company": "Müller GmbH", "numbers": [["type": "phone", "number": "030 1234567"]]])
            #expect(entry["numbers"]?[0]?["e164"] == "+49301234567")
            #expect(entry["numbers"]?[0]?["display"] == "030 1234567")
            for form in ["+49301234567", "+49 30 1234567", "0049 30 1234567", "030 1234567", "(030) 123-45 67", "tel:+49-30-1234567", "030/1234567"] {
                let result = try await op.call("phonebook.lookup", ["number": .string(form)])
                #expect(result["entry"]?["id"] == entry["id"], "form \(form)")
                #expect(result["match"] == "e164", "form \(form)")
                #expect(result["ambiguous"] == false)
            }
            // The entry a lookup returns is the stored entry, field for field.
            #expect(try await op.call("phonebook.lookup", ["number": "+49301234567"])["entry"] == (try await op.call("phonebook.get", ["id": entry["id"]!])))
            let national = try await op.call("phonebook.lookup", ["number": "030 1234567"])
            #expect(national["normalized"]?["e164"] == "+49301234567")
            #expect(national["normalized"]?["international"] == "+49 30 1234567")
            let unknown = try await op.call("phonebook.lookup", ["number": "+358 40 0124387"])
            #expect(unknown["entry"] == .null)
            #expect(unknown["match"] == .null)
            #expect(unknown["normalized"]?["e164"] == "+358400124387")
        }
    }

    @Test func finnishAccountReadsNationalNumbersInFinland() async throws {
        try await withTestServer(configure: { $0.region = "FI" }) { server in
            let op = try await server.client()
            let entry = try await create(op, ["name": "Matti Virtanen", "numbers": [["type": "mobile", "number": "0400124387"]]])
            #expect(entry["numbers"]?[0]?["e164"] == "+358400124387")
            for form in ["+358400124387", "0400124387", "00358 400 124387", "040 0124387"] {
                #expect(try await op.call("phonebook.lookup", ["number": .string(form)])["entry"]?["id"] == entry["id"], "form \(form)")
            }
        }
    }

    @Test func weakerMatchesSayWhy() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            // A number libphonenumber cannot read (no country +999) is kept as typed and matched by its digits.
            let unparsed = try await create(op, ["name": "Kept As Typed", "numbers": [["number": "+999 1234 5678"]]])
            #expect(unparsed["numbers"]?[0]?["number"] == "+999 1234 5678")
            #expect(unparsed["numbers"]?[0]?["e164"] == .null)
            let byDigits = try await op.call("phonebook.lookup", ["number": "999-1234-5678"])
            #expect(byDigits["entry"]?["id"] == unparsed["id"])
            #expect(byDigits["match"] == "digits")

            // An unreadable stored number still matches a caller by its last 8 digits.
            let stored = try await create(op, ["name": "Suffix Only", "numbers": [["number": "+999 20 7946 0958"]]])
            let bySuffix = try await op.call("phonebook.lookup", ["number": "+44 20 7946 0958"])
            #expect(bySuffix["entry"]?["id"] == stored["id"])
            #expect(bySuffix["match"] == "suffix")

            // Two valid numbers that only share their ending are different numbers.
            _ = try await create(op, ["name": "Berlin", "numbers": [["number": "030 1234567"]]])
            let hamburg = try await op.call("phonebook.lookup", ["number": "040 1234567"])
            #expect(hamburg["entry"] == .null)
        }
    }

    @Test func aUsersOwnRegionReadsTheNumbersTheyType() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            let finn = try await op.call("users.create", ["name": "Matti", "email": "matti@x.example", "region": "FI"])
            let key = try await op.call("apiKeys.create", ["role": "user", "userId": finn["id"]!, "label": "Matti's phone"])
            let entry = try await create(op, ["name": "Helsinki office", "numbers": [["number": "+358 9 1234567"]]])
            let matti = try await server.client(token: try requireString(key["token"]))
            // "09 1234567" is a Helsinki number for a Finnish user, not a German one.
            let asFinn = try await matti.call("phonebook.lookup", ["number": "09 1234567"])
            #expect(asFinn["entry"]?["id"] == entry["id"])
            #expect(asFinn["match"] == "e164")
            #expect(asFinn["normalized"]?["region"] == "FI")
            #expect(asFinn["normalized"]?["e164"] == "+35891234567")
            // Read in Germany it is another number, which only shares the national digits.
            let asGerman = try await op.call("phonebook.lookup", ["number": "09 1234567"])
            #expect(asGerman["normalized"]?["region"] == "DE")
            #expect(asGerman["normalized"]?["e164"] == "+4991234567")
            #expect(asGerman["match"] == "national")
        }
    }

    @Test func extensionsResolveToUsers() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            let user = try await op.call("users.create", ["name": "Anna", "email": "anna@x.example", "extension": "12"])
            let result = try await op.call("phonebook.lookup", ["number": "12"])
            #expect(result["match"] == "extension")
            #expect(result["user"]?["id"] == user["id"])
            #expect(result["entry"] == .null)
        }
    }

    @Test func sharedNumbersAreAmbiguousAndRankedDeterministically() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            let accountId = try requireString(try await op.call("auth.whoami")["accountId"])
            let synced = try await server.app.phonebook.insertSynced(
                accountId: accountId, interfaceId: "ifc_test",
                records: [("crm-1", PhonebookFields(displayName: "Reception (CRM)", numbers: [(.phone, "+49 89 1234567")]))])
            let older = try await create(op, ["name": "Reception old", "numbers": [["number": "089 1234567"]]])
            try await Task.sleep(for: .milliseconds(1_100))
            let newer = try await create(op, ["name": "Reception new", "numbers": [["number": "+49 (0)89 123 45 67"]]])
            let result = try await op.call("phonebook.lookup", ["number": "+49891234567"])
            #expect(result["ambiguous"] == true)
            #expect(result["candidates"]?.arrayValue?.map { $0["id"] } == [newer["id"], older["id"], .string(synced[0].id)])
            #expect(result["entry"]?["id"] == newer["id"])
            #expect(result["candidateCount"] == 3)
            // Candidates are summaries: the full entry is only `entry`.
            #expect(result["candidates"]?[1]?["name"] == "Reception old")
            #expect(result["candidates"]?[2]?["source"] == "S")
            #expect(result["candidates"]?[0]?["numbers"] == nil)
            // The same question gives the same answer.
            #expect(try await op.call("phonebook.lookup", ["number": "089 1234567"])["candidates"] == result["candidates"])
        }
    }

    @Test(arguments: [
        ("DE", ["(Notruf)", "123 Taxi", "Arzt", "Ärzte", "Bäcker", "Émile", "Müller", "Ölmann", "Otto", "Zander"]),
        ("FI", ["Aalto", "Virtanen", "Wahl", "Zetterberg", "Åke", "Äijä", "Öljy"]),
        ("NL", ["'s-Gravenhage", "Bakker", "de Vries", "Dekker", "IJsselstein", "Jansen", "van Dijk", "Visser"]),
        ("FR", ["Ça", "Château", "Cœur", "côte", "Ellen", "Émile", "Ève", "Zoé"]),
    ])
    func listIsAlphabeticalInTheAccountsLanguage(region: String, expected: [String]) async throws {
        try await withTestServer(configure: { $0.region = region }) { server in
            let op = try await server.client()
            for name in expected.shuffled() { _ = try await create(op, ["name": .string(name)]) }
            #expect(names(try await op.call("phonebook.list")) == expected)
        }
    }

    @Test func pagingStaysCorrectWhileEntriesChange() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            let letters = "ABCDEFGHIJKLMNOPQRST".map(String.init)
            for letter in letters.shuffled() { _ = try await create(op, ["name": .string("\(letter) Person")]) }
            let first = try await op.call("phonebook.list", ["limit": 5])
            #expect(names(first) == letters.prefix(5).map { "\($0) Person" })
            // Changes before and after the cursor while paging.
            _ = try await create(op, ["name": "AA Early"])
            let list = try await op.call("phonebook.list", ["limit": 100])
            let idOfG = list["items"]?.arrayValue?.first { $0["name"] == "G Person" }?["id"]
            _ = try await op.call("phonebook.delete", ["id": idOfG!])
            var seen = names(first)
            var cursor = first["nextCursor"]!
            while cursor != .null {
                let page = try await op.call("phonebook.list", ["limit": 5, "cursor": cursor])
                seen += names(page)
                cursor = page["nextCursor"]!
            }
            #expect(seen == letters.filter { $0 != "G" }.map { "\($0) Person" })
        }
    }

    @Test func searchFindsWordsInAnyOrderAndDigits() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            let hans = try await create(op, ["firstName": "Hans", "lastName": "Müller", "company": "Bäckerei Schmidt", "numbers": [["number": "030 9876543"]]])
            _ = try await create(op, ["firstName": "Hanna", "lastName": "Schmidt", "email": "hanna@schmidt.example"])
            _ = try await create(op, ["name": "Otto Normal", "numbers": [["number": "+49 40 555111"]]])
            #expect(hans["name"] == "Hans Müller")
            for query in ["müller han", "mueller hans", "MULLER", "han mül", "baeckerei", "bäck"] {
                let found = try await op.call("phonebook.search", ["q": .string(query)])
                let ids = found["items"]?.arrayValue?.map { $0["id"] } ?? []
                if query == "mueller hans" || query == "baeckerei" {
                    #expect(!ids.contains(hans["id"]!), "transliterations are not folded: \(query)")
                } else {
                    #expect(ids.contains(hans["id"]!), "query \(query)")
                }
            }
            // Ranked: the entry where the word weighs most comes first.
            #expect(names(try await op.call("phonebook.search", ["q": "schmidt"])) == ["Hanna Schmidt", "Hans Müller"])
            #expect(names(try await op.call("phonebook.search", ["q": "987654"])) == ["Hans Müller"])
            #expect(names(try await op.call("phonebook.search", ["q": "555 111"])) == ["Otto Normal"])
            // Digits match the national and the E.164 form too.
            #expect(names(try await op.call("phonebook.search", ["q": "040 555"])) == ["Otto Normal"])
            #expect(names(try await op.call("phonebook.search", ["q": "4930987"])) == ["Hans Müller"])
            #expect(names(try await op.call("phonebook.search", ["q": "hanna@schmidt"])) == ["Hanna Schmidt"])
            #expect(await errorCode { try await op.call("phonebook.search", ["q": "  "]) } == -32602)
        }
    }

    @Test func syncedEntriesAreReadOnlyUntilCopied() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            let accountId = try requireString(try await op.call("auth.whoami")["accountId"])
            let synced = try await server.app.phonebook.insertSynced(
                accountId: accountId, interfaceId: "ifc_crm", records: [("42", PhonebookFields(displayName: "From CRM", numbers: [(.mobile, "+49 171 1234567")]))])
            let id = JSONValue.string(synced[0].id)
            let got = try await op.call("phonebook.get", ["id": id])
            #expect(got["source"] == "S")
            #expect(got["externalId"] == "42")
            #expect(await errorCode { try await op.call("phonebook.update", ["id": id, "name": "Changed"]) } == -32009)
            #expect(await errorCode { try await op.call("phonebook.delete", ["id": id]) } == -32009)
            let user = try await op.call("users.create", ["name": "Fwd", "email": "fwd@x.example"])
            do {
                _ = try await op.call("users.setForwarding", ["userId": user["id"]!, "entryId": id])
                Issue.record("synced entry accepted as forwarding target")
            } catch let error as RPCError {
                #expect(error.code == .conflict)
                #expect(error.message.contains("copy"))
            }
            let copy = try await op.call("phonebook.copy", ["id": id])
            #expect(copy["source"] == "M")
            #expect(copy["copiedFrom"] == id)
            #expect(copy["numbers"] == got["numbers"])
            let forwarded = try await op.call("users.setForwarding", ["userId": user["id"]!, "entryId": copy["id"]!])
            #expect(forwarded["entryId"] == copy["id"])
            #expect(try await op.call("users.get", ["id": user["id"]!])["forwardingEntryId"] == copy["id"])
            let edited = try await op.call("phonebook.update", ["id": copy["id"]!, "name": "My copy"])
            #expect(edited["name"] == "My copy")
            #expect(try await op.call("phonebook.list", ["source": "synced"])["items"]?.arrayValue?.map { $0["id"] } == [id])
            #expect(try await op.call("phonebook.list", ["source": "manual"])["items"]?.arrayValue?.map { $0["id"] } == [copy["id"]!])
        }
    }

    @Test func exportRoundTripsThroughTheCSVFormat() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            _ = try await create(op, [
                "firstName": "Anna", "lastName": "Virtanen", "company": "Oy \"Firma\", Ab", "department": "Sales", "title": "CEO",
                "email": "anna@firma.fi", "note": "line 1\nline 2; with ; and ,",
                "numbers": [["type": "phone", "number": "+358 9 1234567"], ["type": "mobile", "number": "+358 40 0124387"]],
            ])
            _ = try await create(op, ["name": "Zürich Büro", "numbers": [["type": "fax", "number": "+41 44 668 18 00"]]])
            for i in 0..<30 { _ = try await create(op, ["name": .string("Person \(i)"), "numbers": [["number": .string("030 55500\(i)")]]]) }

            var csv = ""
            var cursor: JSONValue = .null
            var chunks = 0
            repeat {
                var params: JSONObject = ["format": "csv", "limit": 7]
                if cursor != .null { params.append("cursor", cursor) }
                let chunk = try await op.call("phonebook.export", params)
                csv += chunk["data"]?.stringValue ?? ""
                cursor = chunk["nextCursor"] ?? .null
                chunks += 1
            } while cursor != .null
            #expect(chunks == 5)

            let rows = try CSV.parse(csv)
            let header = rows[0].fields
            #expect(header == PhonebookCSV.columns)
            let imported = rows.dropFirst().map { PhonebookCSV.fields(header: header, row: $0.fields) }
            #expect(imported.count == 32)
            // Every entry comes back the same from its CSV row.
            let all = try await op.call("phonebook.list", ["limit": 100])["items"]?.arrayValue ?? []
            for (entry, row) in zip(all, imported) {
                #expect(row.key == entry["id"]?.stringValue)
                #expect(row.fields.displayName == entry["name"]?.stringValue)
                #expect(row.fields.company == entry["company"]?.stringValue)
                #expect(row.fields.note == entry["note"]?.stringValue)
                #expect(row.fields.email == entry["email"]?.stringValue)
                let numbers = row.fields.numbers?.map { "\($0.kind.rawValue):\($0.text)" } ?? []
                let expected = entry["numbers"]?.arrayValue?.map { "\($0["type"]!.stringValue!):\($0["e164"]!.stringValue!)" } ?? []
                #expect(numbers == expected)
            }

            let vcard = try await op.call("phonebook.export", ["format": "vcard", "limit": 100])
            let text = vcard["data"]?.stringValue ?? ""
            #expect(text.components(separatedBy: "BEGIN:VCARD").count - 1 == 32)
            #expect(text.contains("VERSION:4.0"))
            #expect(text.contains("TEL;VALUE=uri;TYPE=\"cell\":tel:+358400124387"))
            #expect(text.contains("ORG:Oy \"Firma\"\\, Ab;Sales"))
            #expect(text.split(separator: "\r\n").allSatisfy { $0.utf8.count <= 75 })
        }
    }

    @Test func accountsNeverSeeEachOthersPhonebook() async throws {
        try await withTestServer { server in
            let a = try await AccountFixture.make(on: server, name: "Alpha")
            let b = try await AccountFixture.make(on: server, name: "Beta")
            let adminA = try await a.client("admin", on: server)
            let secret = try await create(adminA, ["name": "Secret Supplier", "numbers": [["number": "+49 30 7777777"]]])
            for role in ["admin", "pbx", "user"] {
                let client = try await b.client(role, on: server)
                #expect(try await client.call("phonebook.lookup", ["number": "+49 30 7777777"])["entry"] == .null)
                #expect(names(try await client.call("phonebook.search", ["q": "secret"])).isEmpty)
                #expect(names(try await client.call("phonebook.search", ["q": "7777777"])).isEmpty)
                #expect(names(try await client.call("phonebook.list")).isEmpty)
                #expect(await errorCode { try await client.call("phonebook.get", ["id": secret["id"]!]) } == -32004)
                #expect(try await client.call("phonebook.export", ["format": "csv"])["count"] == 0)
            }
            let adminB = try await b.client("admin", on: server)
            #expect(await errorCode { try await adminB.call("phonebook.copy", ["id": secret["id"]!]) } == -32004)
            #expect(await errorCode { try await adminB.call("phonebook.delete", ["id": secret["id"]!]) } == -32004)
            // Every role of A sees it; only admins edit.
            let userA = try await a.client("user", on: server)
            #expect(try await userA.call("phonebook.lookup", ["number": "030 7777777"])["entry"]?["id"] == secret["id"])
            #expect(await errorCode { try await userA.call("phonebook.create", ["name": "x"]) } == -32003)
        }
    }

    @Test func badInputGetsClearErrors() async throws {
        try await withTestServer { server in
            let op = try await server.client()
            #expect(await errorCode { try await op.call("phonebook.create", ["note": "no name"]) } == -32022)
            #expect(await errorCode { try await op.call("phonebook.create", ["name": "x", "numbers": [["type": "pager", "number": "1"]]]) } == -32602)
            #expect(await errorCode { try await op.call("phonebook.create", ["name": "x", "email": "nope"]) } == -32022)
            #expect(await errorCode { try await op.call("phonebook.lookup", ["number": ""]) } == -32022)
            #expect(await errorCode { try await op.call("phonebook.list", ["cursor": "garbage"]) } == -32022)
            #expect(await errorCode { try await op.call("phonebook.list", ["cursor": "abc.def"]) } == -32022)
            #expect(await errorCode { try await op.call("phonebook.export", ["format": "pdf"]) } == -32602)
            // A number that is no number is kept as typed, never dropped.
            let kept = try await op.call("phonebook.create", ["name": "Odd", "numbers": [["number": "ask reception"]]])
            #expect(kept["numbers"]?[0]?["number"] == "ask reception")
            #expect(kept["numbers"]?[0]?["e164"] == .null)
        }
    }
}
