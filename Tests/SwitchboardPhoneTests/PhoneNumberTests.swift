import Foundation
import Testing
import SwitchboardPhone

/// One number per region: how it is written at home, internationally, and its E.164 form.
struct RegionCase: Sendable, CustomTestStringConvertible {
    let region: String
    let national: String
    let international: String
    let e164: String
    let type: PhoneNumber.NumberType

    var testDescription: String { "\(region) \(national)" }

    /// The international form's digits after "00" ("0049301234567").
    var doubleZero: String { "00" + PhoneNumber.digits(of: international) }
    /// RFC 3966 form ("tel:+49-30-1234567").
    var telURI: String { "tel:" + international.replacingOccurrences(of: " ", with: "-") }
    /// The national form with every separator changed: "(030) 123.45-67"-like noise.
    var punctuated: String {
        var groups = national.split(whereSeparator: { !$0.isNumber }).map(String.init)
        if groups.count > 1 { groups[0] = "(\(groups[0]))" }
        return groups.joined(separator: " ").replacingOccurrences(of: ") ", with: ")-")
    }
}

let regionCases: [RegionCase] = [
    RegionCase(region: "DE", national: "030 1234567", international: "+49 30 1234567", e164: "+49301234567", type: .fixedLine),
    RegionCase(region: "DE", national: "0151 23456789", international: "+49 151 23456789", e164: "+4915123456789", type: .mobile),
    RegionCase(region: "FI", national: "0400124387", international: "+358 40 0124387", e164: "+358400124387", type: .mobile),
    RegionCase(region: "FI", national: "09 1234567", international: "+358 9 1234567", e164: "+35891234567", type: .fixedLine),
    RegionCase(region: "NL", national: "020 123 4567", international: "+31 20 123 4567", e164: "+31201234567", type: .fixedLine),
    RegionCase(region: "NL", national: "06-12345678", international: "+31 6 12345678", e164: "+31612345678", type: .mobile),
    RegionCase(region: "FR", national: "01 23 45 67 89", international: "+33 1 23 45 67 89", e164: "+33123456789", type: .fixedLine),
    RegionCase(region: "GB", national: "020 7031 3000", international: "+44 20 7031 3000", e164: "+442070313000", type: .fixedLine),
    RegionCase(region: "GB", national: "07400 123456", international: "+44 7400 123456", e164: "+447400123456", type: .mobile),
    RegionCase(region: "US", national: "(650) 253-0000", international: "+1 650-253-0000", e164: "+16502530000", type: .fixedLineOrMobile),
    RegionCase(region: "CH", national: "044 668 18 00", international: "+41 44 668 18 00", e164: "+41446681800", type: .fixedLine),
    RegionCase(region: "AT", national: "01 234567890", international: "+43 1 234567890", e164: "+431234567890", type: .fixedLine),
    RegionCase(region: "AT", national: "0664 123456", international: "+43 664 123456", e164: "+43664123456", type: .mobile),
    RegionCase(region: "SE", national: "08-12 34 56", international: "+46 8 12 34 56", e164: "+468123456", type: .fixedLine),
    RegionCase(region: "SE", national: "070-123 45 67", international: "+46 70 123 45 67", e164: "+46701234567", type: .mobile),
    RegionCase(region: "NO", national: "22 12 34 56", international: "+47 22 12 34 56", e164: "+4722123456", type: .fixedLine),
    RegionCase(region: "DK", national: "32 12 34 56", international: "+45 32 12 34 56", e164: "+4532123456", type: .fixedLineOrMobile),
    RegionCase(region: "ES", national: "912 34 56 78", international: "+34 912 34 56 78", e164: "+34912345678", type: .fixedLine),
    RegionCase(region: "IT", national: "06 1234 5678", international: "+39 06 1234 5678", e164: "+390612345678", type: .fixedLine),
    RegionCase(region: "IT", national: "312 345 6789", international: "+39 312 345 6789", e164: "+393123456789", type: .mobile),
    RegionCase(region: "PL", national: "22 123 45 67", international: "+48 22 123 45 67", e164: "+48221234567", type: .fixedLine),
    RegionCase(region: "BE", national: "012 34 56 78", international: "+32 12 34 56 78", e164: "+3212345678", type: .fixedLine),
    RegionCase(region: "BE", national: "0470 12 34 56", international: "+32 470 12 34 56", e164: "+32470123456", type: .mobile),
    RegionCase(region: "JP", national: "03-1234-5678", international: "+81 3-1234-5678", e164: "+81312345678", type: .fixedLine),
    RegionCase(region: "AU", national: "(02) 1234 5678", international: "+61 2 1234 5678", e164: "+61212345678", type: .fixedLine),
    RegionCase(region: "BR", national: "(11) 96123-4567", international: "+55 11 96123-4567", e164: "+5511961234567", type: .mobile),
    RegionCase(region: "IN", national: "098765 43210", international: "+91 98765 43210", e164: "+919876543210", type: .mobile),
    RegionCase(region: "IE", national: "085 012 3456", international: "+353 85 012 3456", e164: "+353850123456", type: .mobile),
    RegionCase(region: "PT", national: "21 234 5678", international: "+351 21 234 5678", e164: "+351212345678", type: .fixedLine),
]

@Suite struct PhoneNumberParsingTests {
    @Test(arguments: regionCases)
    func everyFormGivesTheSameE164(_ c: RegionCase) throws {
        let home = PhoneNumberParser.parse(c.national, region: c.region)
        #expect(home.e164 == c.e164)
        #expect(home.isValid)
        #expect(home.type == c.type)
        #expect(home.region == c.region)
        #expect(home.countryCode == PhoneNumberParser.countryCode(for: c.region))
        #expect(home.raw == c.national)
        let nationalNumber = try #require(home.nationalNumber)
        #expect("+\(try #require(home.countryCode))\(nationalNumber)" == c.e164)
        #expect(home.extension == nil && home.extensionKind == nil && home.mainNumber == nil)

        let foreign = c.region == "DE" ? "FI" : "DE"
        let forms: [(String, String)] = [
            (c.international, c.region), (c.international, foreign), (c.international, "US"),
            (c.doubleZero, c.region), (c.doubleZero, foreign), (c.doubleZero, "US"),
            (c.telURI, c.region), (c.telURI, foreign),
            (c.punctuated, c.region), ("  \(c.national)  ", c.region), (c.national, c.region.lowercased()),
            ("+" + PhoneNumber.digits(of: c.international), "ZZ"),
            (try #require(home.national), c.region), (try #require(home.international), foreign),
        ]
        for (text, region) in forms {
            let number = PhoneNumberParser.parse(text, region: region)
            #expect(number.e164 == c.e164, "\(text) in \(region)")
            #expect(number.isValid, "\(text) in \(region)")
        }
    }

    @Test(arguments: regionCases)
    func extensionsAreSeparate(_ c: RegionCase) {
        for text in ["\(c.national) ext. 77", "\(c.international) x77", "\(c.telURI);ext=77"] {
            let number = PhoneNumberParser.parse(text, region: c.region)
            #expect(number.e164 == c.e164, "\(text)")
            #expect(number.extension == "77", "\(text)")
            #expect(number.extensionKind == .postDial, "\(text)")
        }
    }

    @Test(arguments: regionCases)
    func everyFormHasTheSameLookupKeys(_ c: RegionCase) {
        let keys = PhoneNumberParser.lookupKeys(for: PhoneNumberParser.parse(c.national, region: c.region))
        #expect(keys.first == LookupKey(.e164, c.e164))
        for text in [c.international, c.doubleZero, c.telURI, c.punctuated, "\(c.national) ext. 12"] {
            #expect(PhoneNumberParser.lookupKeys(for: text, region: c.region) == keys, "\(text)")
        }
    }

    @Test(arguments: [
        ("(030) 123-45 67", "DE"), ("030/1234567", "DE"), ("0049 30 1234567", "DE"), ("+49 (0)30 1234567", "DE"),
        ("49301234567", "DE"), ("tel:+49-30-1234567", "DE"), ("TEL:+49301234567", "FI"),
        ("tel:030-1234567;phone-context=+49", "FI"), ("tel:+49301234567;isub=1", "DE"),
        ("sip:+49301234567@pbx.example.com;user=phone", "DE"), ("sips:0301234567@pbx.example.com", "DE"),
        ("０３０ １２３４５６７", "DE"), ("0049 30 1234567", "US"), ("011 49 30 1234567", "US"),
        ("0011 49 30 1234567", "AU"), ("+49 30 1234567", ""), ("+49 30 1234567", "XX"),
    ])
    func germanNumberInManyForms(_ text: String, _ region: String) {
        let number = PhoneNumberParser.parse(text, region: region)
        #expect(number.e164 == "+49301234567")
        #expect(number.region == "DE")
        #expect(number.national == "030 1234567")
        #expect(number.international == "+49 30 1234567")
    }

    @Test func finnishNumbersAtHomeAndAbroad() {
        for (text, region) in [("0400124387", "FI"), ("+358400124387", "DE"), ("00358400124387", "FI"), ("00358400124387", "DE")] {
            #expect(PhoneNumberParser.parse(text, region: region).e164 == "+358400124387", "\(text) in \(region)")
        }
        // The same digits in Germany are a Hamburg number: the region matters.
        #expect(PhoneNumberParser.parse("0400124387", region: "DE").e164 == "+49400124387")
    }

    @Test(arguments: [
        ("+49 30 1234567 ext. 12", "DE", "+49301234567", "12"), ("030 1234567 x12", "DE", "+49301234567", "12"),
        ("030 1234567 #12", "DE", "+49301234567", "12"), ("+49 30 1234567 extension 12", "DE", "+49301234567", "12"),
        ("tel:+49-30-1234567;ext=12", "DE", "+49301234567", "12"),
        ("+1 650-253-0000 ext. 1234", "US", "+16502530000", "1234"), ("650 253 0000 x1234", "US", "+16502530000", "1234"),
        ("020 7031 3000 ext 42", "GB", "+442070313000", "42"),
    ])
    func postDialExtensions(_ text: String, _ region: String, _ e164: String, _ ext: String) {
        let number = PhoneNumberParser.parse(text, region: region)
        #expect(number.isValid)
        #expect(number.e164 == e164)  // the extension is not part of E.164
        #expect(number.extension == ext)
        #expect(number.extensionKind == .postDial)
        #expect(number.mainNumber == nil)
        #expect(number.display(homeRegion: region).hasSuffix(" ext. \(ext)"))
    }

    @Test func germanAndAustrianDirectDialSuffix() {
        let berlin = PhoneNumberParser.parse("030 1234567-12", region: "DE")
        #expect(berlin.e164 == "+4930123456712")  // what the PBX presents as caller ID
        #expect(berlin.extension == "12")
        #expect(berlin.extensionKind == .directDial)
        #expect(berlin.mainNumber == "+49301234567")
        #expect(PhoneNumberParser.parse("+49 30 1234567 - 12", region: "FI").e164 == "+4930123456712")

        let vienna = PhoneNumberParser.parse("01 234567-89", region: "AT")
        #expect(vienna.e164 == "+43123456789")
        #expect(vienna.mainNumber == "+431234567")

        // A hyphen is only punctuation elsewhere.
        let us = PhoneNumberParser.parse("650-253-0000", region: "US")
        #expect(us.e164 == "+16502530000" && us.extension == nil && us.mainNumber == nil)
    }

    @Test func displayForms() {
        let number = PhoneNumberParser.parse("+49 30 1234567", region: "FI")
        #expect(number.display(homeRegion: "DE") == "030 1234567")
        #expect(number.display(homeRegion: "FI") == "+49 30 1234567")
        #expect(number.display() == "+49 30 1234567")
        #expect(PhoneNumberParser.parse("abc", region: "DE").display(homeRegion: "DE") == "abc")
    }

    @Test func optionsSkipDisplayAndExactRegion() {
        let canada = "+1 416-555-0123"
        #expect(PhoneNumberParser.parse(canada, region: "DE").region == "CA")
        let fast = PhoneNumberParser.parse(canada, region: "DE", options: [])
        #expect(fast.e164 == "+14165550123")
        #expect(fast.region == "US" && fast.national == nil && fast.international == nil)
        // Type and validity only when asked for (or when the E.164 form depends on them).
        #expect(!fast.isValid && fast.type == .unknown)
        let typed = PhoneNumberParser.parse(canada, region: "DE", options: .type)
        #expect(typed.isValid && typed.type == .fixedLineOrMobile)
        #expect(PhoneNumberParser.parse("12", region: "DE", options: []).e164 == nil)
    }

    /// The one display form a stored number keeps is the one a full parse would pick,
    /// for every region's numbers seen from every home region (shared codes included).
    @Test(arguments: ["DE", "FI", "NL", "GB", "US", "CA", "AX", "JE", "IT", "CH", ""])
    func homeDisplayMatchesTheFullParse(_ home: String) {
        for c in regionCases {
            for text in [c.national, c.international, c.doubleZero, c.telURI, c.punctuated] {
                let full = PhoneNumberParser.parse(text, region: home)
                let cheap = PhoneNumberParser.parse(text, region: home, options: .homeDisplay)
                #expect(cheap.e164 == full.e164, "\(text) at home in \(home)")
                #expect(cheap.display(homeRegion: home) == full.display(homeRegion: home), "\(text) at home in \(home)")
                #expect(PhoneNumberParser.lookupKeys(for: cheap) == PhoneNumberParser.lookupKeys(for: full))
            }
        }
        let canada = PhoneNumberParser.parse("+1 416-555-0123", region: "CA", options: .homeDisplay)
        #expect(canada.display(homeRegion: "CA") == "(416) 555-0123")
        #expect(PhoneNumberParser.parse("+1 416-555-0123", region: "US", options: .homeDisplay).display(homeRegion: "US") == "+1 416-555-0123")
    }
}

/// Text, region, expected digits.
let unparseable: [(String, String, String)] = [
    ("12", "DE", "12"), ("abc", "DE", ""), ("", "DE", ""), ("   ", "FI", ""), ("+", "DE", ""),
    ("+999 123", "DE", "999123"), ("tel:", "DE", ""), ("1234567890123456789012345", "DE", "1234567890123456789012345"),
    ("030 1234567", "XX", "0301234567"), ("030 1234567", "", "0301234567"), ("Zentrale 0", "DE", "0"),
    ("n/a", "NL", ""), ("030\u{0}1234567", "DE", "0301234567"),
]

@Suite struct UnparseableNumberTests {
    @Test(arguments: unparseable)
    func keptAsTypedWithDigits(_ text: String, _ region: String, _ digits: String) {
        let number = PhoneNumberParser.parse(text, region: region)
        #expect(number.raw == text)
        #expect(number.e164 == nil)
        #expect(!number.isParsed && !number.isValid)
        #expect(number.type == .unknown)
        #expect(number.digits == digits)
        #expect(number.display() == text)
        let keys = PhoneNumberParser.lookupKeys(for: number)
        #expect(keys.allSatisfy { $0.kind == .digits || $0.kind == .suffix })
        #expect(keys.first == (digits.isEmpty ? nil : LookupKey(.digits, digits)))
    }

    @Test func hostileInputNeverCrashes() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<500).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = String(decoding: bytes, as: UTF8.self)  // invalid sequences become U+FFFD
        _ = PhoneNumberParser.parse(text, region: "DE")
        let huge = String(repeating: "5", count: 1 << 20)
        let number = PhoneNumberParser.parse(huge, region: "DE")
        #expect(number.e164 == nil && number.digits.count == 1 << 20)
        let alphabet = Array("0123456789+()-./ ;=#xXext:telsip@ä€😀\u{0}")
        for _ in 0..<2_000 {
            let length = Int.random(in: 0...300, using: &generator)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            let number = PhoneNumberParser.parse(text, region: ["DE", "FI", "US", "", "ZZ"].randomElement()!)
            #expect(number.e164 == nil || number.e164!.hasPrefix("+"))
            #expect(number.raw == text)
        }
    }

    @Test func possibleButUnknownNumbersKeepTheirE164() {
        // Valid length, but not in the 2022 metadata: still normalised, so stored and incoming forms meet.
        let number = PhoneNumberParser.parse("02 123 45 67", region: "BE")
        #expect(!number.isValid)
        #expect(number.e164 == "+3221234567")
        #expect(PhoneNumberParser.parse("+32 2 123 45 67", region: "DE").e164 == number.e164)
    }
}

@Suite struct LookupKeyTests {
    @Test func parsedNumberKeys() {
        let keys = PhoneNumberParser.lookupKeys(for: "0400124387", region: "FI")
        #expect(keys == [LookupKey(.e164, "+358400124387"), LookupKey(.national, "400124387"), LookupKey(.suffix, "00124387")])
        #expect(keys.map(\.description) == ["e164:+358400124387", "national:400124387", "suffix:00124387"])
    }

    @Test func wrongRegionStillMeetsByNationalNumber() {
        // A Finnish mobile typed without +358 in a German account reads as Hamburg.
        let stored = Set(PhoneNumberParser.lookupKeys(for: "0400 124387", region: "DE"))
        let incoming = PhoneNumberParser.lookupKeys(for: "+358400124387", region: "DE")
        let match = incoming.first { stored.contains($0) }
        #expect(match == LookupKey(.national, "400124387"))
    }

    @Test func unparseableStoredNumberMatchesBySuffix() {
        let stored = Set(PhoneNumberParser.lookupKeys(for: "Tel. 030-1234567 (Zentrale)", region: "XX"))
        #expect(stored.contains(LookupKey(.digits, "0301234567")))
        let incoming = PhoneNumberParser.lookupKeys(for: "+49 30 1234567", region: "DE")
        #expect(incoming.first { stored.contains($0) } == LookupKey(.suffix, "01234567"))
    }

    @Test func shortNumbersHaveNoSuffix() {
        #expect(PhoneNumberParser.lookupKeys(for: "12", region: "DE") == [LookupKey(.digits, "12")])
        #expect(PhoneNumberParser.lookupKeys(for: "", region: "DE").isEmpty)
        #expect(PhoneNumberParser.suffixLength == 8)
    }

    @Test func kindsAreOrderedStrongestFirst() {
        #expect(LookupKey.Kind.allCases.sorted() == [.e164, .digits, .national, .suffix])
    }

    @Test(arguments: ["+49301234567", "+358400124387", "+16502530000", "+4722123456"])
    func e164CandidatesAreCanonical(_ text: String) {
        #expect(PhoneNumberParser.e164Candidate(text) == text)
        #expect(PhoneNumberParser.parse(text, region: "ZZ").e164 == text)
    }

    @Test(arguments: ["+49 30 1234567", "0301234567", "+0301234567", "+123456", "+12345678901234567", "+49301234567x", ""])
    func notE164Candidates(_ text: String) {
        #expect(PhoneNumberParser.e164Candidate(text) == nil)
    }
}

@Suite struct ExtensionAndRegionTests {
    @Test(arguments: [("12", "12"), (" 204 ", "204"), ("1", "1"), ("123456", "123456")])
    func internalExtensions(_ text: String, _ ext: String) {
        #expect(PhoneNumberParser.looksLikeExtension(text) == ext)
    }

    @Test(arguments: ["", " ", "1234567", "12a", "+12", "1 2", "030 1234567", "١٢", "-12"])
    func notInternalExtensions(_ text: String) {
        #expect(PhoneNumberParser.looksLikeExtension(text) == nil)
    }

    @Test func extensionLengthIsConfigurable() {
        #expect(PhoneNumberParser.looksLikeExtension("12345678", maxLength: 8) == "12345678")
        #expect(PhoneNumberParser.looksLikeExtension("123", maxLength: 2) == nil)
        #expect(PhoneNumberParser.looksLikeExtension("1", maxLength: 0) == nil)
    }

    @Test func supportedRegions() {
        for region in ["DE", "FI", "NL", "fr", "GB", "US", "CH", "AT", "SE", "NO", "DK", "ES", "IT", "PL", "BE", "JP"] {
            #expect(PhoneNumberParser.isSupportedRegion(region), "\(region)")
        }
        for region in ["", "ZZ", "XX", "UK", "DEU", "001", "D", "DE\u{0}"] {
            #expect(!PhoneNumberParser.isSupportedRegion(region), "\(region)")
        }
        #expect(PhoneNumberParser.countryCode(for: "FI") == 358)
        #expect(PhoneNumberParser.countryCode(for: "XX") == nil)
    }

    @Test(arguments: ["DE", "FI", "NL", "FR", "GB", "US", "SE"])
    func exampleNumbersParseBack(_ region: String) throws {
        let mobile = try #require(PhoneNumberParser.exampleNumber(region: region, type: .mobile))
        let number = PhoneNumberParser.parse(mobile, region: region)
        #expect(number.isValid && number.e164 == mobile && number.region == region)
        #expect(PhoneNumberParser.exampleNumber(region: "XX", type: .mobile) == nil)
    }
}

@Suite struct PhoneNumberValueTests {
    @Test func codableRoundTrip() throws {
        for text in ["030 1234567-12", "+49 30 1234567 ext. 12", "abc", "0400124387"] {
            let number = PhoneNumberParser.parse(text, region: "FI")
            let data = try JSONEncoder().encode(number)
            #expect(try JSONDecoder().decode(PhoneNumber.self, from: data) == number)
        }
        let json = try JSONEncoder().encode(PhoneNumberParser.parse("+49 30 1234567", region: "DE"))
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["type"] as? String == "fixedLine")
        #expect(object["e164"] as? String == "+49301234567")
    }

    @Test func digitsOfAnyScript() {
        #expect(PhoneNumber.digits(of: "+49 (30) 123-45") == "493012345")
        #expect(PhoneNumber.digits(of: "０３０ ١٢٣") == "030123")
        #expect(PhoneNumber.digits(of: "Zentrale") == "")
    }

    @Test func numberTypesHaveStableNames() {
        #expect(PhoneNumber.NumberType.allCases.map(\.rawValue) == [
            "fixedLine", "mobile", "fixedLineOrMobile", "tollFree", "premiumRate", "sharedCost",
            "voip", "personal", "pager", "uan", "voicemail", "unknown",
        ])
        #expect(PhoneNumberParser.parse("0800 1234567", region: "DE").type == .tollFree)
        #expect(PhoneNumberParser.parse("1-800-FLOWERS", region: "US").type == .tollFree)
    }

    @Test func parsesConcurrently() async {
        let expected = regionCases.map(\.e164)
        let results = await withTaskGroup(of: [String?].self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<200).flatMap { _ in regionCases.map { PhoneNumberParser.parse($0.national, region: $0.region).e164 } } }
            }
            return await group.reduce(into: [[String?]]()) { $0.append($1) }
        }
        for result in results {
            #expect(result == Array((0..<200).flatMap { _ in expected }))
        }
    }
}
