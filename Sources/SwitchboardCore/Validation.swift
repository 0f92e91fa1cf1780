import Foundation

/// Field rules shared by every service. Each throws `SwitchboardError.invalid`
/// naming the field, so the client learns what to fix.
public enum Validate {
    /// ISO 3166-1 alpha-2 codes known to the platform (e.g. `DE`, `FI`, `NL`).
    public static let regions: Set<String> = Set(
        Locale.Region.isoRegions.map(\.identifier).filter { $0.count == 2 && $0.allSatisfy(\.isUppercase) }
    )

    public static func region(_ value: String, field: String = "region") throws -> String {
        let code = value.uppercased()
        guard regions.contains(code) else {
            throw SwitchboardError.invalid(field, "\"\(value)\" is not an ISO 3166-1 alpha-2 region code (e.g. DE, FI, NL)")
        }
        return code
    }

    public static func timeZone(_ value: String, field: String = "timeZone") throws -> String {
        guard TimeZone(identifier: value) != nil else {
            throw SwitchboardError.invalid(field, "\"\(value)\" is not an IANA time zone (e.g. Europe/Berlin)")
        }
        return value
    }

    /// A pragmatic address check: one `@`, a non-empty local part, a dotted
    /// domain of letters, digits and hyphens, no spaces. Returns it lowercased.
    public static func email(_ value: String, field: String = "email") throws -> String {
        let email = value.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        let fail = SwitchboardError.invalid(field, "\"\(value)\" is not an e-mail address")
        guard email.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64 else { throw fail }
        guard !email.contains(where: { $0.isWhitespace || $0.isNewline }) else { throw fail }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ label in
            !label.isEmpty && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
        }) else { throw fail }
        return email
    }

    /// An internal extension: 1 to 8 digits.
    public static func extensionNumber(_ value: String, field: String = "extension") throws -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard (1...8).contains(trimmed.count), trimmed.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw SwitchboardError.invalid(field, "\"\(value)\" is not an extension (1 to 8 digits)")
        }
        return trimmed
    }

    /// A phone number as typed: it must carry at least two digits and only
    /// characters found in written numbers.
    public static func phoneNumber(_ value: String, field: String) throws -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        let allowed = Set("0123456789+-()./ ")
        let digits = trimmed.filter { $0.isASCII && $0.isNumber }.count
        guard trimmed.count <= 64, digits >= 2, trimmed.allSatisfy({ allowed.contains($0) }) else {
            throw SwitchboardError.invalid(field, "\"\(value)\" is not a phone number")
        }
        return trimmed
    }

    public static func name(_ value: String, field: String = "name", maxLength: Int = 200) throws -> String {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw SwitchboardError.invalid(field, "must not be empty") }
        guard trimmed.count <= maxLength else { throw SwitchboardError.invalid(field, "longer than \(maxLength) characters") }
        return trimmed
    }
}
