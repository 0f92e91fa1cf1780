/// One key under which a number is indexed and looked up (caller ID).
///
/// A stored number is indexed under every key of ``PhoneNumberParser/lookupKeys(for:)``;
/// an incoming number is looked up with its own keys, strongest kind first,
/// and the kind that matched says *why* it matched. Keys of different kinds
/// never match each other.
public struct LookupKey: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The kinds of key, strongest first.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
        /// The E.164 form: the same number, however it was written.
        case e164
        /// All digits of a number that could not be parsed, as typed
        /// ("matched by digits only").
        case digits
        /// The national significant number ("400124387"): the same subscriber
        /// number under a different or wrong country code, e.g. a Finnish
        /// mobile stored without "+358" in a German account.
        case national
        /// The last ``PhoneNumberParser/suffixLength`` digits of the national
        /// significant number (of all digits when unparsed): the weakest match.
        case suffix

        public static func < (lhs: Kind, rhs: Kind) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    public var kind: Kind
    public var value: String

    public init(_ kind: Kind, _ value: String) {
        self.kind = kind
        self.value = value
    }

    /// "kind:value", e.g. "e164:+49301234567", usable as a single index column.
    public var description: String {
        // Built by appending (interpolation costs more, and this runs for every key of every lookup and sync).
        var text = kind.rawValue
        text.reserveCapacity(text.utf8.count + 1 + value.utf8.count)
        text += ":"
        text += value
        return text
    }
}
