import SwitchboardCore
import SwitchboardServices

/// Deterministic, realistic test data: names and numbers from several countries.
struct PhonebookGenerator {
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    var random: SplitMix

    init(seed: UInt64) { random = SplitMix(state: seed) }

    static let firstNames = [
        "Hans", "Jürgen", "Anna", "Lena", "Björn", "Özlem", "Matti", "Aino", "Jukka", "Päivi", "Sanne", "Daan", "Bram", "Sophie",
        "Émile", "Chloé", "Léa", "François", "Åsa", "Lars", "Ingrid", "Oliver", "Amelia", "Zoë", "Luca", "Giulia", "Renée", "Søren",
    ]
    static let lastNames = [
        "Müller", "Schmidt", "Schneider", "Fischer", "Weiß", "Köhler", "Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Hämäläinen",
        "de Vries", "van Dijk", "Jansen", "Bakker", "Visser", "Martin", "Bernard", "Lefèvre", "Durand", "Andersson", "Öberg",
        "Smith", "O'Brien", "Rossi", "Ferrari", "Nørgaard", "Ärzteblatt",
    ]
    static let companies = [
        "Müller GmbH", "Oy Firma Ab", "Bakkerij Jansen", "Société Générale Fictive", "Nordic Tools AB", "Acme Ltd", "Zürich Versicherung",
        "Stadtwerke Köln", "Kahvila Oy", "Ärzte am Ring", "Café Crème",
    ]
    /// Country prefixes with national number lengths (subscriber digits after the prefix).
    static let foreign: [(prefix: String, digits: Int)] = [
        ("+35840", 7), ("+3589", 7), ("+316", 8), ("+3120", 7), ("+331", 8), ("+336", 8), ("+468", 7), ("+447700", 6),
        ("+43664", 7), ("+4144", 7), ("+49171", 7), ("+4989", 7),
    ]

    mutating func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &random)] }

    mutating func digits(_ count: Int) -> String {
        String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &random))) })
    }

    /// Entry `index`: even-numbered entries up to N/2... are simply the first half: Berlin +4930 + index.
    mutating func record(index: Int) -> (externalId: String, fields: PhonebookFields) {
        let first = pick(Self.firstNames), last = pick(Self.lastNames)
        var numbers: [(kind: EntryNumber.Kind, text: String)] = []
        if index < 500_000 {
            numbers.append((.phone, "+4930" + String(repeating: "0", count: 7 - String(index).count) + String(index)))
        } else {
            let country = pick(Self.foreign)
            numbers.append((.phone, country.prefix + digits(country.digits)))
        }
        if Int.random(in: 0..<3, using: &random) == 0 {
            let country = pick(Self.foreign)
            numbers.append((.mobile, country.prefix + digits(country.digits)))
        }
        let company: String? = Int.random(in: 0..<2, using: &random) == 0 ? pick(Self.companies) : nil
        return (
            "bench-\(index)",
            PhonebookFields(firstName: first, lastName: last, company: company, email: nil, numbers: numbers)
        )
    }
}
