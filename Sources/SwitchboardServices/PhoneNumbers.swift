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

    /// Lookup keys of an incoming number, strongest first. "+digits" caller
    /// IDs skip the (costly) parse for their exact key; the parse follows only
    /// when that key finds nothing.
    public static func lookupKeys(_ text: String, region: String) -> (fast: LookupKey?, parsed: () -> (PhoneNumber, [LookupKey])) {
        let fast = PhoneNumberParser.e164Candidate(text).map { LookupKey(.e164, $0) }
        return (fast, {
            let number = PhoneNumberParser.parse(text, region: region)
            return (number, PhoneNumberParser.lookupKeys(for: number))
        })
    }

    public static func looksLikeExtension(_ text: String) -> String? {
        PhoneNumberParser.looksLikeExtension(text, maxLength: 8)
    }
}
