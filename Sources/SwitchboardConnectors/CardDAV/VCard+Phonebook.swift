import Foundation
import SwitchboardCore

/// vCards as phonebook entries, and phonebook changes written into vCards.
extension VCard {
    /// What the phonebook keeps of the card: FN, N, ORG (company; the units are the department),
    /// TITLE, the preferred EMAIL, NOTE, and every TEL with its kind.
    public var phonebookFields: PhonebookFields {
        var fields = PhonebookFields()
        fields.displayName = first("FN")?.text.nonEmpty
        if let name = first("N") {
            let parts = name.nameParts
            fields.lastName = parts[0].nonEmpty
            fields.firstName = parts[1].nonEmpty
        }
        if let org = first("ORG")?.components {
            fields.company = org.first?.nonEmpty
            fields.department = org.dropFirst().compactMap(\.nonEmpty).joined(separator: ", ").nonEmpty
        }
        fields.title = first("TITLE")?.text.nonEmpty
        fields.email = primaryEmail?.text.nonEmpty
        fields.note = first("NOTE")?.text.nonEmpty
        fields.numbers = all("TEL").compactMap(number)
        return fields
    }

    /// The EMAIL the phonebook shows: the preferred one, else the first.
    var primaryEmail: Property? {
        let emails = all("EMAIL")
        return emails.enumerated().min { ($0.element.preference ?? .max, $0.offset) < ($1.element.preference ?? .max, $1.offset) }?.element
    }

    /// A TEL as (kind, number): text as given, or a `tel:` URI (4.0 `VALUE=uri`) read back into text.
    func number(_ tel: Property) -> (kind: EntryNumber.Kind, text: String)? {
        var text = tel.text.trimmed
        if text.lowercased().hasPrefix("tel:") || tel.parameter("VALUE").first?.lowercased() == "uri" {
            text = Self.telURIText(text)
        }
        guard !text.isEmpty else { return nil }
        return (Self.kind(types: tel.types, label: tel.group.flatMap(label)), text)
    }

    /// Apple's label for a group (`item1.X-ABLabel:_$!<Mobile>!$_` → "mobile"; custom labels as written).
    func label(_ group: String) -> String? {
        guard let raw = grouped(group).first(where: { $0.name == "X-ABLABEL" })?.text else { return nil }
        var label = raw
        if label.hasPrefix("_$!<"), label.hasSuffix(">!$_") { label = String(label.dropFirst(4).dropLast(4)) }
        return label.lowercased()
    }

    /// `tel:+1-555-0100;ext=12` → `+1-555-0100 ext. 12` (other URI parameters dropped).
    static func telURIText(_ uri: String) -> String {
        var rest = Substring(uri)
        if rest.lowercased().hasPrefix("tel:") { rest = rest.dropFirst(4) }
        let parts = rest.split(separator: ";", omittingEmptySubsequences: false)
        var text = String(parts.first ?? "").removingPercentEncoding ?? String(parts.first ?? "")
        if let ext = parts.dropFirst().first(where: { $0.lowercased().hasPrefix("ext=") }) { text += " ext. " + ext.dropFirst(4) }
        return text.trimmed
    }

    /// TEL types (and Apple's labels) as the phonebook's kinds. A fax is a fax whatever else it is,
    /// a cell number is mobile; plain, `voice`, `work`, `main` and `pref` numbers are the main phone.
    public static func kind(types: Set<String>, label: String? = nil) -> EntryNumber.Kind {
        if types.contains("fax") { return .fax }
        if !types.isDisjoint(with: ["cell", "mobile", "iphone"]) { return .mobile }
        if let label {
            if label.contains("fax") { return .fax }
            if label.contains("mobile") || label.contains("cell") || label.contains("iphone") { return .mobile }
            if label.contains("home") { return .home }
            if label.contains("work") || label.contains("main") { return .phone }
            if label.contains("other") || label.contains("pager") { return .other }
        }
        if types.contains("home") { return .home }
        if !types.contains("work"), !types.isDisjoint(with: ["other", "x-other", "pager", "textphone", "video", "car", "isdn", "modem", "bbs", "msg"]) {
            return .other
        }
        return .phone
    }

    /// The TYPE values a new TEL of `kind` gets (upper-case in 3.0, as its examples write them).
    static func types(for kind: EntryNumber.Kind, version: Version) -> [String] {
        let types: [String] = switch kind {
        case .phone: ["work", "voice"]
        case .mobile: ["cell", "voice"]
        case .home: ["home", "voice"]
        case .fax: ["work", "fax"]
        case .other: ["other"]
        }
        return version == .v3 ? types.map { $0.uppercased() } : types
    }
}

extension VCard.Property {
    /// N's family and given names (a component may be a comma list: "Anna,Maria" → "Anna Maria").
    var nameParts: [String] {
        var parts = VCard.split(rawValue, at: ";").map { component in
            VCard.split(component, at: ",").map(VCard.unescape).map(\.trimmed).filter { !$0.isEmpty }.joined(separator: " ")
        }
        while parts.count < 5 { parts.append("") }
        return parts
    }
}

// MARK: - Writing phonebook fields

extension VCard {
    /// A new card for `fields`.
    public static func make(_ fields: PhonebookFields, version: Version, uid: String, now: Date = Date()) -> VCard {
        var card = VCard(version: version, properties: [
            Property("PRODID", rawValue: "-//Switchboard//CardDAV connector//EN"),
            Property("UID", rawValue: uid),
        ])
        card.apply(fields, now: now)
        return card
    }

    /// Writes `fields` into the card, changing only the properties whose phonebook value differs:
    /// everything else — other numbers' parameters, Apple's labels, photos, addresses, unknown
    /// X- properties, N's prefixes, the non-primary e-mail addresses — stays as it was.
    /// REV is set when anything changed.
    public mutating func apply(_ fields: PhonebookFields, now: Date = Date()) {
        let current = phonebookFields
        var changed = false

        let firstName = fields.firstName?.nonEmpty, lastName = fields.lastName?.nonEmpty
        var displayName = fields.resolvedDisplayName
        if displayName.isEmpty { displayName = fields.email?.nonEmpty ?? fields.numbers?.first?.text ?? "" }
        if first("FN")?.text != displayName {
            changed = setFirst("FN", to: Property("FN", text: displayName)) || changed
        }
        if first("N") == nil || current.lastName != lastName || current.firstName != firstName {
            var parts = first("N").map { VCard.split($0.rawValue, at: ";") } ?? []
            while parts.count < 5 { parts.append("") }
            parts[0] = Self.escape(lastName ?? "")
            parts[1] = Self.escape(firstName ?? "")
            changed = setFirst("N", to: Property("N", rawValue: parts.joined(separator: ";"))) || changed
        }
        let company = fields.company?.nonEmpty, department = fields.department?.nonEmpty
        if current.company != company || current.department != department {
            let org = company == nil && department == nil ? nil : Property("ORG", rawValue: Self.compound([company ?? ""] + (department.map { [$0] } ?? [])))
            changed = setFirst("ORG", to: org) || changed
        }
        for (name, value, old) in [("TITLE", fields.title?.nonEmpty, current.title), ("NOTE", fields.note?.nonEmpty, current.note)] where value != old {
            changed = setFirst(name, to: value.map { Property(name, text: $0) }) || changed
        }
        if current.email != fields.email?.nonEmpty {
            changed = true
            let index = primaryEmail.flatMap { primary in properties.firstIndex { $0 == primary } }
            switch (fields.email?.nonEmpty, index) {
            case (let email?, let index?): properties[index].rawValue = Self.escape(email)
            case (let email?, nil): insert(Property("EMAIL", text: email), after: ["TITLE", "ORG", "N", "FN"])
            case (nil, let index?): removeProperty(at: index)
            case (nil, nil): break
            }
        }
        let wanted = (fields.numbers ?? []).map { (kind: $0.kind, text: $0.text.trimmed) }.filter { !$0.text.isEmpty }
        let have = current.numbers ?? []
        if wanted.map(\.kind) != have.map(\.kind) || wanted.map(\.text) != have.map(\.text) {
            changed = true
            replaceNumbers(with: wanted)
        }
        if changed {
            setFirst("REV", to: Property("REV", rawValue: Self.timestamp(now)))
        }
    }

    /// Keeps the TEL lines that still match a wanted number (with their parameters and labels),
    /// removes the others with their Apple labels, and adds the new numbers after the last TEL.
    mutating func replaceNumbers(with wanted: [(kind: EntryNumber.Kind, text: String)]) {
        var remaining = wanted
        var dropped = Set<Int>()
        for (index, property) in properties.enumerated() where property.name == "TEL" {
            if let number = number(property), let match = remaining.firstIndex(where: { $0.kind == number.kind && $0.text == number.text }) {
                remaining.remove(at: match)
            } else {
                dropped.insert(index)
            }
        }
        let groups = Set(dropped.compactMap { properties[$0].group?.lowercased() })
        properties = properties.enumerated().filter { !dropped.contains($0.offset) }.map(\.element)
        for group in groups where properties.filter({ $0.group?.lowercased() == group }).allSatisfy({ $0.name.hasPrefix("X-AB") }) {
            properties.removeAll { $0.group?.lowercased() == group }
        }
        var at = insertionIndex(after: ["TEL", "EMAIL", "TITLE", "ORG", "N", "FN"])
        // After the last TEL's group mates (its Apple label), not between them.
        if let group = properties[..<at].last?.group?.lowercased() {
            while at < properties.count, properties[at].group?.lowercased() == group { at += 1 }
        }
        for number in remaining {
            let parameters = [Parameter("TYPE", Self.types(for: number.kind, version: version))]
            properties.insert(Property("TEL", parameters: parameters, text: number.text), at: at)
            at += 1
        }
    }

    /// Removes a property; a grouped one takes its group's Apple labels (`itemN.X-AB…`) along.
    mutating func removeProperty(at index: Int) {
        let removed = properties.remove(at: index)
        guard let group = removed.group?.lowercased() else { return }
        let rest = properties.filter { $0.group?.lowercased() == group }
        if rest.allSatisfy({ $0.name.hasPrefix("X-AB") }) {
            properties.removeAll { $0.group?.lowercased() == group }
        }
    }

    /// Replaces the first property called `name` (keeping its group and parameters), or inserts
    /// one, or removes it (nil). Returns whether anything changed.
    @discardableResult
    mutating func setFirst(_ name: String, to property: Property?) -> Bool {
        let index = properties.firstIndex { $0.name == name }
        switch (property, index) {
        case (let property?, let index?):
            if properties[index].rawValue == property.rawValue { return false }
            properties[index].rawValue = property.rawValue
        case (let property?, nil):
            insert(property, after: Array(Self.order.prefix { $0 != name }.reversed()))
        case (nil, let index?):
            removeProperty(at: index)
        case (nil, nil):
            return false
        }
        return true
    }

    /// Where the properties Switchboard writes go in a new card.
    static let order = ["PRODID", "UID", "FN", "N", "ORG", "TITLE", "EMAIL", "TEL", "NOTE", "REV"]

    mutating func insert(_ property: Property, after names: [String]) {
        properties.insert(property, at: insertionIndex(after: names))
    }

    /// After the last property named by the first of `names` the card has; else at the end.
    func insertionIndex(after names: [String]) -> Int {
        for name in names {
            if let last = properties.lastIndex(where: { $0.name == name }) { return last + 1 }
        }
        return properties.count
    }

    /// REV's form in both versions: `20250131T120000Z`.
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }
}
