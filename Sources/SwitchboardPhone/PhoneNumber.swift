/// A telephone number as typed, with libphonenumber's reading of it.
///
/// Produced by ``PhoneNumberParser/parse(_:region:)``, which never fails: text
/// that is no usable number keeps ``raw`` and ``digits`` and has `e164 == nil`,
/// so it can still be stored, shown and matched by digits.
public struct PhoneNumber: Sendable, Hashable, Codable {
    /// The number's kind according to the numbering plan of its country.
    public enum NumberType: String, Sendable, Hashable, Codable, CaseIterable {
        case fixedLine, mobile, fixedLineOrMobile, tollFree, premiumRate, sharedCost
        case voip, personal, pager, uan, voicemail, unknown
    }

    /// How ``PhoneNumber/extension`` relates to ``PhoneNumber/e164``.
    public enum ExtensionKind: String, Sendable, Hashable, Codable {
        /// Dialled after the call is answered ("ext. 12", "x12", ";ext=12"):
        /// not part of `e164`.
        case postDial
        /// German/Austrian direct-dial suffix ("030 1234567-12"): part of
        /// `e164` (what a PBX presents as caller ID); ``PhoneNumber/mainNumber``
        /// is the number without it. Recognised heuristically.
        case directDial
    }

    /// The text exactly as typed or received.
    public var raw: String
    /// E.164 form ("+49301234567"), without any post-dial extension; `nil` when
    /// the text is no usable number.
    public var e164: String?
    /// National display form ("030 1234567"); `nil` when unparsed or not requested.
    public var national: String?
    /// International display form ("+49 30 1234567"); `nil` when unparsed or not requested.
    public var international: String?
    /// ISO 3166-1 region of the number ("DE"; "001" for non-geographic numbers such as +800).
    public var region: String?
    /// Country calling code (49).
    public var countryCode: Int?
    /// National significant number: `e164` without "+" and country code ("301234567").
    public var nationalNumber: String?
    /// The number's kind; `.unknown` when unparsed or not valid.
    public var type: NumberType
    /// Whether libphonenumber's metadata knows the number (not just its length).
    public var isValid: Bool
    /// Extension digits ("12"), see ``extensionKind``.
    public var `extension`: String?
    /// How ``extension`` relates to ``e164``; `nil` without an extension.
    public var extensionKind: ExtensionKind?
    /// For a ``ExtensionKind/directDial`` number, the main number ("+49301234567").
    public var mainNumber: String?
    /// Every decimal digit of ``raw``, as ASCII ("4930123456712" for
    /// "+49 30 1234567-12"): the matching key of numbers that cannot be parsed.
    public var digits: String

    /// Whether libphonenumber could read the text (``e164`` is set).
    public var isParsed: Bool { e164 != nil }

    /// The best form to show: national for numbers of `homeRegion`,
    /// international for others, the raw text when unparsed; with the extension.
    public func display(homeRegion: String? = nil) -> String {
        guard let e164 else { return raw }
        let base: String
        if let homeRegion, homeRegion.uppercased() == region, let national {
            base = national
        } else {
            base = international ?? e164
        }
        guard let ext = `extension`, extensionKind == .postDial else { return base }
        return "\(base) ext. \(ext)"
    }

    /// Creates a number from stored fields; see ``PhoneNumberParser`` to read text.
    public init(
        raw: String, e164: String? = nil, national: String? = nil, international: String? = nil,
        region: String? = nil, countryCode: Int? = nil, nationalNumber: String? = nil,
        type: NumberType = .unknown, isValid: Bool = false, extension: String? = nil,
        extensionKind: ExtensionKind? = nil, mainNumber: String? = nil, digits: String? = nil
    ) {
        self.raw = raw
        self.e164 = e164
        self.national = national
        self.international = international
        self.region = region
        self.countryCode = countryCode
        self.nationalNumber = nationalNumber
        self.type = type
        self.isValid = isValid
        self.extension = `extension`
        self.extensionKind = extensionKind
        self.mainNumber = mainNumber
        self.digits = digits ?? PhoneNumber.digits(of: raw)
    }

    /// Every decimal digit of `text` (any script: "０３０" gives "030"), as ASCII.
    public static func digits(of text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.isASCII {
                if ("0"..."9").contains(scalar) { out.append(scalar) }
            } else if scalar.properties.numericType == .decimal, let value = scalar.properties.numericValue,
                      (0...9).contains(value) {
                out.append(Unicode.Scalar(UInt8(48 + Int(value))))
            }
        }
        return String(out)
    }
}
