import SwitchboardCore
import SwitchboardPhone

/// Turns typed numbers into stored `EntryNumber`s (normalised with libphonenumber).
public enum PhoneNumbers {
    /// A stored number keeps E.164, the one display form the account's phonebook
    /// shows and the lookup keys, so only those are computed (half the cost of
    /// a full parse; a million-row import parses a million numbers or more).
    public static func entryNumber(_ text: String, kind: EntryNumber.Kind, region: String) -> EntryNumber {
        let parsed = PhoneNumberParser.parse(text, region: region, options: .homeDisplay)
        return EntryNumber(
            kind: kind, raw: text, e164: parsed.e164, display: parsed.display(homeRegion: region), digits: parsed.digits,
            lookupKeys: PhoneNumberParser.lookupKeys(for: parsed).map(\.description))
    }

    /// The exact key of an incoming "+digits" caller ID, tried before the
    /// (costly) parse of `parsedLookupKeys`, which follows only when it finds nothing.
    public static func fastLookupKey(_ text: String) -> LookupKey? {
        PhoneNumberParser.e164Candidate(text).map { LookupKey(.e164, $0) }
    }

    /// The number as read in `region`, and all its lookup keys.
    public static func parsedLookupKeys(_ text: String, region: String) -> (PhoneNumber, [LookupKey]) {
        let number = PhoneNumberParser.parse(text, region: region)
        return (number, PhoneNumberParser.lookupKeys(for: number))
    }

    public static func looksLikeExtension(_ text: String) -> String? {
        PhoneNumberParser.looksLikeExtension(text, maxLength: 8)
    }
}
