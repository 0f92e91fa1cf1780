import SwitchboardCollation
import Testing

/// Sorts by collation key (byte order, as SQLite orders BLOBs); equal keys by
/// UTF-8 bytes, so that the expected orders are exact.
private func sortedByKey(_ names: [String], locale: String) throws -> [String] {
    let maker = try CollationKeyMaker(locale: locale)
    return zip(maker.keys(names), names)
        .sorted { lhs, rhs in
            if lhs.0 != rhs.0 { return lhs.0.lexicographicallyPrecedes(rhs.0) }
            return lhs.1.utf8.lexicographicallyPrecedes(rhs.1.utf8)
        }
        .map(\.1)
}

@Suite("Collation keys")
struct CollationTests {
    @Test("German: umlauts sort with their base letter, case and accents ignored")
    func german() throws {
        let names = [
            "Zander", "Ärzte", "Arzt", "Ölmann", "Otto", "Müller", "Mueller", "müller", "Bäcker", "Backer",
            "123 Taxi", "(Notruf)", "Émile",
        ]
        #expect(try sortedByKey(names, locale: "de") == [
            "(Notruf)", "123 Taxi", "Arzt", "Ärzte", "Backer", "Bäcker", "Émile", "Mueller", "Müller", "müller",
            "Ölmann", "Otto", "Zander",
        ])
        let maker = try CollationKeyMaker(locale: "de")
        #expect(maker.key("Ärzte") == maker.key("Arzte"))
        #expect(maker.key("Ärzte") == maker.key("ARZTE"))
        #expect(maker.key("ölmann") == maker.key("Olmann"))
        #expect(maker.key("Müller") == maker.key("müller"))
        #expect(maker.key("Bäcker") == maker.key("Backer"))
        #expect(maker.key("Müller") != maker.key("Mueller"))
        #expect(maker.key("Straße") == maker.key("STRASSE"))
    }

    @Test("German phone-book order: ü is ue")
    func germanPhonebook() throws {
        let maker = try CollationKeyMaker(locale: "de-u-co-phonebk")
        #expect(maker.key("Müller") == maker.key("Mueller"))
    }

    @Test("Finnish: å ä ö after z, v and w apart, ü as y")
    func finnish() throws {
        let names = [
            "Öljy", "Zetterberg", "Äijä", "Åke", "Wahl", "Vesa", "Virtanen", "Aalto", "Yrjö", "Wikström",
            "Mürsky", "Mylly", "Olli",
        ]
        #expect(try sortedByKey(names, locale: "fi") == [
            "Aalto", "Mylly", "Mürsky", "Olli", "Vesa", "Virtanen", "Wahl", "Wikström", "Yrjö", "Zetterberg",
            "Åke", "Äijä", "Öljy",
        ])
        let maker = try CollationKeyMaker(locale: "fi")
        #expect(maker.key("Åke") != maker.key("Ake"))
        #expect(maker.key("Wahl") != maker.key("Vahl"))
    }

    @Test("Swedish: å ä ö after z")
    func swedish() throws {
        let names = ["Östen", "Zetterlund", "Ärlig", "Åsa", "Wallin", "Vik", "Olsson"]
        #expect(try sortedByKey(names, locale: "sv") == [
            "Olsson", "Vik", "Wallin", "Zetterlund", "Åsa", "Ärlig", "Östen",
        ])
    }

    @Test("Dutch: ij is i + j, name prefixes and punctuation count")
    func dutch() throws {
        let names = [
            "Zeeman", "IJsselstein", "Jansen", "Yntema", "de Vries", "Dekker", "van Dijk", "Vanderbilt", "Visser",
            "'s-Gravenhage", "Bakker", "Ëlla", "Ijzerman",
        ]
        #expect(try sortedByKey(names, locale: "nl") == [
            "'s-Gravenhage", "Bakker", "de Vries", "Dekker", "Ëlla", "IJsselstein", "Ijzerman", "Jansen",
            "van Dijk", "Vanderbilt", "Visser", "Yntema", "Zeeman",
        ])
    }

    @Test("French: accents ignored, œ as oe")
    func french() throws {
        let names = ["Zoé", "côte", "coté", "cote", "côté", "Émile", "Eve", "Ève", "Ellen", "Château", "chat", "Cœur", "Ça"]
        #expect(try sortedByKey(names, locale: "fr") == [
            "Ça", "chat", "Château", "Cœur", "cote", "coté", "côte", "côté", "Ellen", "Émile", "Eve", "Ève", "Zoé",
        ])
        let maker = try CollationKeyMaker(locale: "fr")
        #expect(maker.key("côte") == maker.key("coté"))
        #expect(maker.key("Émile") == maker.key("emile"))
    }

    @Test("Punctuation before digits before letters, no numeric collation")
    func punctuationDigitsLetters() throws {
        let maker = try CollationKeyMaker(locale: "de")
        #expect(maker.compare("(Notruf)", "123"))
        #expect(maker.compare("123", "Arzt"))
        #expect(maker.compare("10", "9"))
        #expect(maker.compare("Anna Berg", "Annabell"))
        #expect(maker.compare("", "a"))
        #expect(!maker.compare("b", "a"))
        #expect(!maker.compare("Müller", "müller"))
    }

    @Test("Keys end in their only 0 byte and are never empty")
    func keyShape() throws {
        let maker = try CollationKeyMaker(locale: "de")
        for text in ["", "a", "Ärzte", "(Notruf)", String(repeating: "äb", count: 1000), "東京", "Ωμέγα", "a\u{0}b"] {
            let key = maker.key(text)
            #expect(!key.isEmpty)
            #expect(key.last == 0)
            #expect(!key.dropLast().contains(0))
        }
    }

    @Test("Precomposed and decomposed accents give the same key")
    func normalization() throws {
        let maker = try CollationKeyMaker(locale: "de")
        let composed = "M\u{00FC}ller"
        let decomposed = "Mu\u{0308}ller"
        #expect(Array(composed.utf8) != Array(decomposed.utf8))
        #expect(maker.key(composed) == maker.key(decomposed))
    }

    @Test("keys(_:) agrees with key(_:)")
    func batch() throws {
        let maker = try CollationKeyMaker(locale: "nl")
        let names = ["de Vries", "Jansen", "", "IJsselstein"]
        #expect(maker.keys(names) == names.map { maker.key($0) })
        #expect(maker.keys([]).isEmpty)
    }

    @Test("Hex like SQLite's hex()")
    func hex() throws {
        #expect(CollationKeyMaker.hex([]) == "")
        #expect(CollationKeyMaker.hex([0x2A, 0x4C, 0x00, 0xFF, 0x09]) == "2A4C00FF09")
        let maker = try CollationKeyMaker(locale: "de")
        let key = maker.key("Ärzte")
        #expect(CollationKeyMaker.hex(key).count == key.count * 2)
    }

    @Test(
        "Likely language of a region",
        arguments: zip(
            ["DE", "FI", "NL", "FR", "BE", "CH", "SE", "AT", "GB", "de", "419"],
            ["de", "fi", "nl", "fr", "nl", "de", "sv", "de", "en", "de", "es"]
        )
    )
    func region(_ region: String, _ language: String) throws {
        #expect(CollationKeyMaker.languageForRegion(region) == language)
        let maker = try CollationKeyMaker.forRegion(region)
        #expect(maker.locale == language)
    }

    @Test("Malformed regions have no language", arguments: ["", "D", "DEU", "D_", "12", "ÄÖ"])
    func malformedRegion(_ region: String) {
        #expect(CollationKeyMaker.languageForRegion(region) == nil)
        #expect(throws: CollationError.self) { try CollationKeyMaker.forRegion(region) }
    }

    @Test("A region's collation is its language's")
    func regionCollation() throws {
        let finland = try CollationKeyMaker.forRegion("FI")
        #expect(finland.compare("Zetterberg", "Åke"))
        let germany = try CollationKeyMaker.forRegion("DE")
        #expect(germany.compare("Åke", "Zetterberg"))
    }

    @Test("Bad locale ids are refused; unknown languages use the root order")
    func locales() throws {
        #expect(throws: CollationError.self) { try CollationKeyMaker(locale: String(repeating: "a", count: 200)) }
        #expect(throws: CollationError.self) { try CollationKeyMaker(locale: "de\u{0}") }
        #expect(CollationKeyMaker.languageForRegion("DE\u{0}") == nil)
        let root = try CollationKeyMaker(locale: "")
        #expect(root.compare("Arzt", "Zander"))
        let unknown = try CollationKeyMaker(locale: "xx")
        #expect(unknown.key("Ärzte") == root.key("Ärzte"))
    }

    @Test("Version is reported")
    func version() throws {
        let maker = try CollationKeyMaker(locale: "de")
        #expect(!maker.version.isEmpty)
        #expect(maker.version.contains("."))
    }

    @Test("One instance from many tasks gives the same keys")
    func concurrentUse() async throws {
        let maker = try CollationKeyMaker(locale: "de")
        let names = (0..<2000).map { "Müller-Lüdenscheidt \($0), Ärztehaus \($0 % 7)" }
        let serial = names.map { maker.key($0) }
        let parallel = await withTaskGroup(of: (Int, [UInt8]).self) { group in
            for (index, name) in names.enumerated() {
                group.addTask { (index, maker.key(name)) }
            }
            var keys = [[UInt8]](repeating: [], count: names.count)
            for await (index, key) in group {
                keys[index] = key
            }
            return keys
        }
        #expect(parallel == serial)
    }
}
