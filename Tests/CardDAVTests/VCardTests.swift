import Foundation
import SwitchboardCore
import Testing

@testable import SwitchboardConnectors

@Suite("vCard")
struct VCardTests {
    // MARK: folding

    @Test("folded lines are unfolded: CRLF or bare LF, then one space or tab, which is dropped")
    func unfolding() throws {
        let card = try VCard.parse("BEGIN:VCARD\r\nVERSION:4.0\r\nNOTE:This is a lo\r\n ng note\r\n\t with a tab fold\nFN:Bare\n  LF\r\nEND:VCARD\r\n")
        #expect(card.first("NOTE")?.text == "This is a long note with a tab fold")
        #expect(card.first("FN")?.text == "Bare LF")
    }

    @Test("a fold inside a multi-byte character is joined before the bytes are decoded")
    func unfoldingSplitCharacter() throws {
        // "Jürgen" with the fold between the two bytes of "ü" (C3 BC), as some writers cut at 75 octets.
        var bytes = Array("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:J".utf8) + [0xC3, 0x0D, 0x0A, 0x20, 0xBC]
        bytes += Array("rgen\r\nEND:VCARD\r\n".utf8)
        let cards = try VCard.parseAll(bytes: bytes)
        #expect(cards.first?.first("FN")?.text == "Jürgen")
    }

    @Test("long lines are folded at 75 octets without splitting UTF-8 sequences, and read back the same")
    func folding() throws {
        let note = String(repeating: "Päivää € 😀 Grüße — ", count: 12) + "end"
        var card = VCard(version: .v4, properties: [VCard.Property("FN", text: "Folded"), VCard.Property("NOTE", text: note)])
        card.properties.append(VCard.Property("X-ASCII", rawValue: String(repeating: "x", count: 300)))
        let text = card.serialized()
        let lines = text.components(separatedBy: "\r\n").dropLast()
        for line in lines {
            #expect(line.utf8.count <= 75, "\(line.utf8.count) octets: \(line)")
            #expect(String(validating: Array(line.utf8), as: UTF8.self) != nil)
        }
        #expect(lines.filter { $0.hasPrefix(" ") }.count > 6)
        let back = try VCard.parse(text)
        #expect(back.first("NOTE")?.text == note)
        #expect(back.first("X-ASCII")?.rawValue.count == 300)
        #expect(text.hasSuffix("END:VCARD\r\n"))
        #expect(!text.contains("\n\n"))
    }

    // MARK: escaping and parameters

    @Test("text escaping round-trips backslash, comma, semicolon and line breaks")
    func escaping() throws {
        let text = "a,b;c\\d\ne\r\nf"
        #expect(VCard.escape(text) == "a\\,b\\;c\\\\d\\ne\\nf")
        let card = VCard(version: .v3, properties: [VCard.Property("NOTE", text: text)])
        #expect(try VCard.parse(card.serialized()).first("NOTE")?.text == "a,b;c\\d\ne\nf")
        #expect(VCard.unescape("x\\Ny\\:z") == "x\ny:z")
        let org = try VCard.parse("BEGIN:VCARD\nVERSION:3.0\nORG:ACME\\, Inc.;R\\;D;\nEND:VCARD\n").first("ORG")
        #expect(org?.components == ["ACME, Inc.", "R;D", ""])
    }

    @Test("parameters: TYPE lists in every spelling, quoted values with : ; , inside, PREF, 2.1 bare types, groups")
    func parameters() throws {
        let card = try VCard.parse(Cards.crlf("""
            BEGIN:VCARD
            VERSION:4.0
            TEL;TYPE=work,voice:1
            TEL;TYPE="cell";PREF=1:2
            TEL;TYPE="home,voice":3
            TEL;type=HOME;type=FAX:4
            TEL;CELL:5
            X-THING;X-NOTE="a:b;c,d";X-LIST=one,two:the value: with colon
            item7.EMAIL;TYPE=INTERNET:grouped@example.com
            item7.X-ABLabel:custom
            END:VCARD
            """))
        let tels = card.all("TEL")
        #expect(tels.map(\.types) == [["work", "voice"], ["cell"], ["home", "voice"], ["home", "fax"], ["cell"]])
        #expect(tels[1].preference == 1)
        #expect(tels[0].preference == nil)
        let thing = try #require(card.first("X-THING"))
        #expect(thing.parameter("X-NOTE") == ["a:b;c,d"])
        #expect(thing.parameter("x-list") == ["one", "two"])
        #expect(thing.rawValue == "the value: with colon")
        let email = try #require(card.first("EMAIL"))
        #expect(email.group == "item7")
        #expect(card.grouped("ITEM7").map(\.name) == ["EMAIL", "X-ABLABEL"])
    }

    @Test("TEL types and Apple labels map to the phonebook's kinds", arguments: [
        ([], nil, EntryNumber.Kind.phone), (["voice"], nil, .phone), (["work", "voice"], nil, .phone), (["pref"], nil, .phone),
        (["main"], nil, .phone), (["cell"], nil, .mobile), (["cell", "work"], nil, .mobile), (["iphone"], nil, .mobile),
        (["home"], nil, .home), (["home", "voice"], nil, .home), (["fax"], nil, .fax), (["home", "fax"], nil, .fax),
        (["work", "fax"], nil, .fax), (["pager"], nil, .other), (["other"], nil, .other), (["x-other"], nil, .other),
        (["text"], nil, .phone), (["cell", "text"], nil, .mobile),
        ([], "mobile", .mobile), ([], "home", .home), ([], "other", .other), ([], "pager", .other), ([], "work fax", .fax),
        ([], "main", .phone), ([], "switchboard", .phone), (["home"], "custom", .home),
    ] as [([String], String?, EntryNumber.Kind)])
    func kinds(types: [String], label: String?, kind: EntryNumber.Kind) {
        #expect(VCard.kind(types: Set(types), label: label) == kind)
    }

    // MARK: real exports

    @Test("an Apple Contacts 3.0 card: labels, preferred e-mail, ORG units, escaped note")
    func appleContacts() throws {
        let card = try VCard.parse(Self.apple)
        #expect(card.version == .v3)
        #expect(card.uid == nil)
        let f = card.phonebookFields
        #expect(f.displayName == "Dr. Johnny Q. Appleseed Jr.")
        #expect(f.firstName == "Johnny")
        #expect(f.lastName == "Appleseed")
        #expect(f.company == "Apple Inc.")
        #expect(f.department == "Engineering, Platform")
        #expect(f.title == "Engineer")
        #expect(f.email == "johnny@apple.example")
        #expect(f.note == "First line\nSecond line, with comma")
        #expect(numbers(f) == [
            "phone:+1 (408) 555-0100", "mobile:+1 408 555 0101", "fax:+1 408 555 0102", "other:+1 408 555 0103", "other:+1 408 555 0104",
        ])
    }

    @Test("a Nextcloud (Sabre) 4.0 card: quoted TYPE lists, tel: URIs with an extension")
    func nextcloud() throws {
        let card = try VCard.parse(Self.nextcloud)
        #expect(card.version == .v4)
        #expect(card.uid == "5a1f4b7e-8c3d-4f2a-9b6e-1d2c3e4f5a6b")
        let f = card.phonebookFields
        #expect(f.displayName == "Märta Ek")
        #expect(f.company == "Ekonomi AB")
        #expect(f.department == nil)
        #expect(f.email == "marta@ekonomi.example")
        #expect(numbers(f) == ["home:+46 8 123 45 67", "mobile:+46-70-123-45-67", "phone:+46-8-765-43-21 ext. 12"])
    }

    @Test("a Google Contacts 3.0 export: plain and custom-labelled numbers, grouped e-mail")
    func google() throws {
        let f = try VCard.parse(Self.google).phonebookFields
        #expect(f.displayName == "Pekka Virtanen")
        #expect(f.email == "pekka@gmail.example")
        #expect(f.title == "CEO")
        #expect(numbers(f) == ["mobile:040 123 4567", "phone:09 876 5432", "phone:09 111 2222", "phone:0800 123 123"])
    }

    @Test("several cards in one file; a card without END is an error")
    func severalCards() throws {
        #expect(try VCard.parseAll(Self.apple + Self.google + Self.nextcloud).count == 3)
        #expect(throws: VCard.ParseError.self) { try VCard.parse("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\n") }
        #expect(throws: VCard.ParseError.self) { try VCard.parse("hello") }
    }

    // MARK: writing

    @Test("a new 4.0 card: UID, FN, N, ORG with units, TEL types in lower case")
    func writes40() throws {
        let fields = PhonebookFields(
            firstName: "Anna", lastName: "Virtanen", company: "ACME, Inc.", department: "Sales", title: "Boss", email: "anna@acme.example",
            note: "two\nlines", numbers: [(.phone, "+358 9 1"), (.mobile, "+358 40 2"), (.home, "3"), (.fax, "4"), (.other, "5")])
        let text = VCard.make(fields, version: .v4, uid: "urn:uuid:1234", now: Date(timeIntervalSince1970: 1_700_000_000)).serialized()
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines.starts(with: ["BEGIN:VCARD", "VERSION:4.0", "PRODID:-//Switchboard//CardDAV connector//EN", "UID:urn:uuid:1234", "FN:Anna Virtanen"]))
        for expected in ["N:Virtanen;Anna;;;", "ORG:ACME\\, Inc.;Sales", "TITLE:Boss", "EMAIL:anna@acme.example", "TEL;TYPE=work,voice:+358 9 1",
                         "TEL;TYPE=cell,voice:+358 40 2", "TEL;TYPE=home,voice:3", "TEL;TYPE=work,fax:4", "TEL;TYPE=other:5", "NOTE:two\\nlines",
                         "REV:20231114T221320Z"] {
            #expect(lines.contains(expected), "missing \(expected)")
        }
        let back = try VCard.parse(text).phonebookFields
        #expect(numbers(back) == numbers(fields))
        #expect(back.company == "ACME, Inc.")
        #expect(back.displayName == "Anna Virtanen")
    }

    @Test("a new 3.0 card writes TYPE values in upper case; FN falls back to the company")
    func writes30() throws {
        let text = VCard.make(PhonebookFields(company: "Helpdesk Oy", numbers: [(.mobile, "040 1")]), version: .v3, uid: "x").serialized()
        #expect(text.contains("VERSION:3.0\r\n"))
        #expect(text.contains("TEL;TYPE=CELL,VOICE:040 1\r\n"))
        #expect(text.contains("FN:Helpdesk Oy\r\n"))
        #expect(text.contains("N:;;;;\r\n"))
        #expect(text.contains("UID:x\r\n"))
    }

    @Test("an update keeps what the phonebook does not know: photos, addresses, labels, other e-mails, N's prefixes")
    func updatePreservesUnknown() throws {
        var card = try VCard.parse(Self.apple)
        let original = card.serialized()
        var fields = card.phonebookFields
        fields.title = "Senior engineer"
        fields.email = "johnny@new.example"
        // The "other" number (item2) is dropped; the mobile one changes; a home number is added.
        fields.numbers = [(.phone, "+1 (408) 555-0100"), (.mobile, "+1 408 555 0199"), (.fax, "+1 408 555 0102"), (.other, "+1 408 555 0104"),
                          (.home, "+1 408 555 0200")]
        card.apply(fields, now: Date(timeIntervalSince1970: 0))
        let text = card.serialized()
        // Compared as logical lines: the writer folds at 75 octets where Apple folded elsewhere.
        let lines = Set(VCard.unfold(Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) })
        let originalLines = Set(VCard.unfold(Array(original.utf8)).map { String(decoding: $0, as: UTF8.self) })
        for kept in ["PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKC"
                        + "gkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD/yQALCAABAAEBAREA/8wABgAQEAX/2gAIAQEAAD8A0s8g/9k=",
                     "item4.ADR;type=WORK;type=pref:;;1 Apple Park Way;Cupertino;CA;95014;United States", "item4.X-ABADR:us",
                     "X-ABUID:5AD380FD-B2DE-4261-BA99-DE1D1DB52FBE\\:ABPerson", "N:Appleseed;Johnny;Q.;Dr.;Jr.",
                     "EMAIL;type=INTERNET;type=HOME:johnny@home.example", "item1.TEL;type=pref:+1 (408) 555-0100",
                     "item1.X-ABLabel:_$!<Main>!$_", "item3.TEL:+1 408 555 0104", "item3.X-ABLabel:Pager", "FN:Dr. Johnny Q. Appleseed Jr."] {
            #expect(lines.contains(kept), "lost: \(kept)")
            #expect(originalLines.contains(kept))
        }
        #expect(text.contains("TITLE:Senior engineer\r\n"))
        #expect(text.contains("EMAIL;type=INTERNET;type=WORK;type=pref:johnny@new.example\r\n"))
        #expect(!text.contains("555 0101"))
        #expect(!text.contains("item2."))
        #expect(text.contains("TEL;TYPE=CELL,VOICE:+1 408 555 0199\r\n"))
        #expect(text.contains("TEL;TYPE=HOME,VOICE:+1 408 555 0200\r\n"))
        // New numbers go after the last number and its label, not between them.
        #expect(try #require(text.range(of: "item3.X-ABLabel")).lowerBound < (try #require(text.range(of: "TEL;TYPE=CELL,VOICE"))).lowerBound)
        #expect(text.contains("REV:19700101T000000Z\r\n"))
        let back = try VCard.parse(text).phonebookFields
        #expect(numbers(back).sorted() == numbers(fields).sorted())  // the card keeps its order; new numbers come after it
        #expect(back.email == "johnny@new.example")
    }

    @Test("applying the fields a card already has changes nothing, not even REV")
    func updateWithoutChange() throws {
        var card = try VCard.parse(Self.nextcloud)
        let before = card.serialized()
        card.apply(card.phonebookFields)
        #expect(card.serialized() == before)
    }

    @Test("clearing fields removes their properties; renaming keeps N's other components")
    func clearing() throws {
        var card = try VCard.parse(Self.apple)
        var fields = card.phonebookFields
        fields.company = nil
        fields.department = nil
        fields.note = nil
        fields.email = nil
        fields.firstName = "John"
        card.apply(fields)
        let text = card.serialized()
        #expect(!text.contains("\r\nORG:"))
        #expect(!text.contains("\r\nNOTE:"))
        #expect(!text.contains("johnny@apple.example"))
        #expect(text.contains("johnny@home.example"))  // the other address stays; it is now the one shown
        #expect(text.contains("N:Appleseed;John;Q.;Dr.;Jr.\r\n"))
        #expect(card.phonebookFields.email == "johnny@home.example")
    }

    // MARK: samples

    static let apple = Cards.crlf("""
        BEGIN:VCARD
        VERSION:3.0
        PRODID:-//Apple Inc.//macOS 14.0//EN
        N:Appleseed;Johnny;Q.;Dr.;Jr.
        FN:Dr. Johnny Q. Appleseed Jr.
        ORG:Apple Inc.;Engineering;Platform;
        TITLE:Engineer
        EMAIL;type=INTERNET;type=HOME:johnny@home.example
        EMAIL;type=INTERNET;type=WORK;type=pref:johnny@apple.example
        item1.TEL;type=pref:+1 (408) 555-0100
        item1.X-ABLabel:_$!<Main>!$_
        TEL;type=CELL;type=VOICE:+1 408 555 0101
        TEL;type=HOME;type=FAX:+1 408 555 0102
        item2.TEL:+1 408 555 0103
        item2.X-ABLabel:_$!<Other>!$_
        item3.TEL:+1 408 555 0104
        item3.X-ABLabel:Pager
        item4.ADR;type=WORK;type=pref:;;1 Apple Park Way;Cupertino;CA;95014;United States
        item4.X-ABADR:us
        NOTE:First line\\nSecond line\\, with comma
        PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKC
         gkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD/yQALCAABAAEBAREA/8wABgAQEAX/2gAIAQEAAD8A0s8g/9k=
        X-ABUID:5AD380FD-B2DE-4261-BA99-DE1D1DB52FBE\\:ABPerson
        END:VCARD

        """)

    static let nextcloud = Cards.crlf("""
        BEGIN:VCARD
        VERSION:4.0
        PRODID:-//Sabre//Sabre VObject 4.5.4//EN
        UID:5a1f4b7e-8c3d-4f2a-9b6e-1d2c3e4f5a6b
        FN:Märta Ek
        N:Ek;Märta;;;
        ORG:Ekonomi AB
        TEL;TYPE="HOME,VOICE":+46 8 123 45 67
        TEL;TYPE=cell;VALUE=uri:tel:+46-70-123-45-67
        TEL;VALUE=uri;TYPE=work:tel:+46-8-765-43-21;ext=12
        EMAIL;TYPE=WORK:marta@ekonomi.example
        REV;VALUE=timestamp:20240115T101112Z
        X-NEXTCLOUD-FOO:bar
        END:VCARD

        """)

    static let google = Cards.crlf("""
        BEGIN:VCARD
        VERSION:3.0
        FN:Pekka Virtanen
        N:Virtanen;Pekka;;;
        item1.EMAIL;TYPE=INTERNET:pekka@gmail.example
        item1.X-ABLabel:
        TEL;TYPE=CELL:040 123 4567
        TEL;TYPE=WORK:09 876 5432
        TEL:09 111 2222
        item2.TEL:0800 123 123
        item2.X-ABLabel:Switchboard
        ORG:Virtanen Oy
        TITLE:CEO
        CATEGORIES:myContacts
        END:VCARD

        """)
}
