import CPhoneNumber

/// Reads telephone numbers with Google's libphonenumber (through `CPhoneNumber`).
///
/// Every function is thread-safe and may be called from any task: the C shim
/// keeps no state and libphonenumber's metadata is immutable once loaded.
/// A full ``parse(_:region:)`` costs about 30 µs, the parse a stored number
/// needs (``Options/homeDisplay``) about half of that, one without type or
/// display forms about 8 µs (see ``Options``); ``e164Candidate(_:)`` lets a
/// caller-ID lookup skip parsing for numbers that arrive in E.164 already.
public struct PhoneNumberParser: Sendable {
    /// What to compute beyond E.164, national number, region of the country code and extension.
    public struct Options: OptionSet, Sendable, Hashable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// National and international display forms (about 9 µs).
        public static let displayForms = Options(rawValue: Int32(CPN_WITH_DISPLAY))
        /// The exact region where a country code is shared (+1 CA/US, +44 GB/JE);
        /// without it ``PhoneNumber/region`` is the code's main region ("US").
        public static let exactRegion = Options(rawValue: Int32(CPN_WITH_EXACT_REGION))
        /// ``PhoneNumber/type`` and ``PhoneNumber/isValid`` (about 6 µs). Without it
        /// both are computed only where the E.164 form depends on them (a number
        /// that is not possible, or shorter than ``minimumDigitsOfUnknownNumber``);
        /// otherwise `type` is `.unknown` and `isValid` false.
        public static let type = Options(rawValue: Int32(CPN_WITH_TYPE))
        /// Only the display form a phonebook of the parse's region shows
        /// (``PhoneNumber/display(homeRegion:)``): national for the region's own
        /// numbers (exactly, where a country code is shared), international for
        /// the rest. About half the cost of `[.displayForms, .exactRegion]`.
        public static let homeDisplay = Options(rawValue: Int32(CPN_WITH_HOME_DISPLAY))
        /// Everything.
        public static let all: Options = [.displayForms, .exactRegion, .type]
    }

    /// Digits in a ``LookupKey/Kind/suffix`` key. Eight is the shortest
    /// national significant number of the common European plans (NO, DK), so
    /// the suffix of a number written with or without country code or trunk
    /// prefix is the same; 10⁸ values keep an accidental match in a book of
    /// 1,000,000 numbers near 1 %, and the lookup reports it as a weak match.
    public static let suffixLength = 8

    /// A number that libphonenumber reads but does not know (``PhoneNumber/isValid``
    /// false, e.g. from a range newer than its metadata) still gets an E.164
    /// form when its length is possible and it has at least this many national digits.
    public static let minimumDigitsOfUnknownNumber = Int(CPN_UNTYPED_MIN_DIGITS)

    /// Longest text handed to libphonenumber (which itself stops at 250 characters).
    public static let maximumLength = 1024

    /// Reads `text` as a number of `region` (the account's or user's default
    /// region, ISO 3166-1 alpha-2, case-insensitive) when it is written
    /// nationally. Never fails: unusable text comes back with `e164 == nil`,
    /// ``PhoneNumber/raw`` and ``PhoneNumber/digits``.
    ///
    /// Understands "030 1234567", "+49 30 1234567", "0049 30 1234567",
    /// "(030) 123-45 67", "+49 (0)30 1234567", "tel:+49-30-1234567;ext=12",
    /// "sip:+49301234567@pbx", "… ext. 12", "… x12" and the DE/AT direct-dial
    /// suffix "030 1234567-12".
    public static func parse(_ text: String, region: String, options: Options = .all) -> PhoneNumber {
        let unparsed = PhoneNumber(raw: text)
        guard text.utf8.count <= maximumLength, !text.utf8.contains(0) else { return unparsed }
        var result = cpn_result()
        let region = isRegionText(region) ? region : ""
        let ok = text.withCString { cText in
            region.withCString { cRegion in cpn_parse_with(cText, cRegion, options.rawValue, &result) }
        }
        guard ok == 1 else { return unparsed }
        let valid = result.valid == 1  // -1: not computed, and not needed (see Options.type)
        let nationalNumber = string(result.national_significant)
        guard valid || (result.possible != 0 && nationalNumber.count >= minimumDigitsOfUnknownNumber) else {
            return unparsed
        }
        let e164 = string(result.e164)
        let ext = string(result.extension)
        let kind: PhoneNumber.ExtensionKind? = switch result.extension_kind {
        case Int32(CPN_EXT_POST_DIAL): .postDial
        case Int32(CPN_EXT_DIRECT_DIAL): .directDial
        default: nil
        }
        let main = string(result.base_e164)
        return PhoneNumber(
            raw: text,
            e164: e164.isEmpty ? nil : e164,
            national: nonEmpty(string(result.national)),
            international: nonEmpty(string(result.international)),
            region: nonEmpty(string(result.region)),
            countryCode: result.country_code > 0 ? Int(result.country_code) : nil,
            nationalNumber: nonEmpty(nationalNumber),
            type: valid ? numberType(result.type) : .unknown,
            isValid: valid,
            extension: kind == nil ? nil : nonEmpty(ext),
            extensionKind: ext.isEmpty ? nil : kind,
            mainNumber: kind == .directDial && main != e164 ? nonEmpty(main) : nil,
            digits: unparsed.digits
        )
    }

    /// Whether libphonenumber has a numbering plan for `region` ("DE", "fi").
    public static func isSupportedRegion(_ region: String) -> Bool {
        isRegionText(region) && region.withCString { cpn_is_supported_region($0) } == 1
    }

    /// The country calling code of `region` ("FI" → 358), `nil` when unknown.
    public static func countryCode(for region: String) -> Int? {
        guard isRegionText(region) else { return nil }
        let code = region.withCString { cpn_country_code_for_region($0) }
        return code > 0 ? Int(code) : nil
    }

    /// libphonenumber's example number of `type` in `region`, in E.164 form
    /// (for generating test data), `nil` when there is none.
    public static func exampleNumber(region: String, type: PhoneNumber.NumberType) -> String? {
        guard isRegionText(region), let code = numberTypes.firstIndex(of: type) else { return nil }
        var buffer = [CChar](repeating: 0, count: 32)
        let ok = region.withCString { cRegion in
            buffer.withUnsafeMutableBufferPointer { cpn_example_number(cRegion, Int32(code), $0.baseAddress, 32) }
        }
        guard ok == 1 else { return nil }
        return buffer.withUnsafeBytes { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// The keys under which `number` is indexed, and with which an incoming
    /// number is looked up, strongest first (see ``LookupKey/Kind``):
    /// `.e164` and `.national` for a parsed number, `.digits` for an unparsed
    /// one, and `.suffix` (last ``suffixLength`` digits) when the number has
    /// at least that many. Short numbers (extensions) get no suffix key.
    public static func lookupKeys(for number: PhoneNumber) -> [LookupKey] {
        var keys: [LookupKey] = []
        let significant: String
        if let e164 = number.e164 {
            keys.append(LookupKey(.e164, e164))
            significant = number.nationalNumber ?? String(e164.dropFirst())
            if !significant.isEmpty { keys.append(LookupKey(.national, significant)) }
        } else {
            significant = number.digits
            if !significant.isEmpty { keys.append(LookupKey(.digits, significant)) }
        }
        if significant.count >= suffixLength {
            keys.append(LookupKey(.suffix, String(significant.suffix(suffixLength))))
        }
        return keys
    }

    /// The keys of `text` read in `region`; see ``lookupKeys(for:)``.
    public static func lookupKeys(for text: String, region: String) -> [LookupKey] {
        lookupKeys(for: parse(text, region: region, options: []))
    }

    /// `text` itself when it is "+" and 7 to 15 ASCII digits (first not 0),
    /// the form PBXes send caller IDs in. Stored E.164 keys are libphonenumber's
    /// canonical output, so an exact match of such text is the right answer
    /// and a lookup may try it before paying for ``parse(_:region:options:)``.
    public static func e164Candidate(_ text: String) -> String? {
        let utf8 = text.utf8
        guard (8...16).contains(utf8.count), utf8.first == UInt8(ascii: "+") else { return nil }
        let digits = utf8.dropFirst()
        guard digits.first != UInt8(ascii: "0"), digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return text
    }

    /// The digits of `text` when it is an internal extension: 1 to `maxLength`
    /// ASCII digits, surrounding spaces allowed ("12", " 204 "); `nil` otherwise.
    /// Whether a user of the account has that extension is the caller's question.
    public static func looksLikeExtension(_ text: String, maxLength: Int = 6) -> String? {
        let bytes = text.utf8
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { bytes.formIndex(after: &start) }
        while end > start, bytes[bytes.index(before: end)] == 0x20 || bytes[bytes.index(before: end)] == 0x09 { bytes.formIndex(before: &end) }
        let digits = bytes[start..<end]
        // The length check first: it is free, and caller IDs ("+4930…") fail it or the digit test at once.
        guard maxLength > 0, (1...maxLength).contains(digits.count), digits.allSatisfy({ (48...57).contains($0) }) else {
            return nil
        }
        return String(decoding: digits, as: UTF8.self)
    }

    // MARK: - C glue

    /// CPN_TYPE_* codes in order (CPN_TYPE_UNKNOWN = 0 … CPN_TYPE_VOICEMAIL = 11).
    private static let numberTypes: [PhoneNumber.NumberType] = [
        .unknown, .fixedLine, .mobile, .fixedLineOrMobile, .tollFree, .premiumRate, .sharedCost,
        .voip, .personal, .pager, .uan, .voicemail,
    ]

    private static func numberType(_ code: Int32) -> PhoneNumber.NumberType {
        numberTypes.indices.contains(Int(code)) ? numberTypes[Int(code)] : .unknown
    }

    /// A NUL-terminated C `char[N]` struct field (imported as a tuple of CChar) as a String.
    private static func string<Field>(_ field: Field) -> String {
        withUnsafeBytes(of: field) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// Short and free of NUL, which would cut the C string ("DE\0X" is not "DE").
    private static func isRegionText(_ region: String) -> Bool {
        region.utf8.count <= 3 && !region.utf8.contains(0)
    }

    private static func nonEmpty(_ text: String) -> String? { text.isEmpty ? nil : text }
}
