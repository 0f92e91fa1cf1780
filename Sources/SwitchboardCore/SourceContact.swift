/// One contact as a source delivers it, before it becomes a phonebook entry.
public struct SourceContact: Sendable {
    /// The source's stable key for it (a CSV `id` column, a CRM's contact id).
    public var externalId: String
    public var fields: PhonebookFields
    /// Where it came from in the source (CSV line), for error reports; 0 when there are no lines.
    public var line: Int
    /// Whose it is in the system (sipgate PRIVATE/SHARED/INTERNAL); nil where the system has one kind.
    public var scope: ContactScope?
    /// The system's version of the record (ETag, update time): sent back on write-through.
    public var version: String?

    public init(externalId: String, fields: PhonebookFields, line: Int = 0, scope: ContactScope? = nil, version: String? = nil) {
        self.externalId = externalId
        self.fields = fields
        self.line = line
        self.scope = scope
        self.version = version
    }

    /// A 64-bit FNV-1a hash of everything the source said about the contact.
    /// The same row gives the same hash in every run, so a re-sync can skip
    /// unchanged rows without parsing their numbers again.
    public var contentHash: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ text: String?) {
            if var text {
                text.withUTF8 { bytes in
                    for byte in bytes {
                        hash ^= UInt64(byte)
                        hash &*= 0x100_0000_01b3
                    }
                }
            }
            hash ^= 0x1F  // field separator (also marks nil vs "")
            hash &*= 0x100_0000_01b3
        }
        let f = fields
        for text in [externalId, f.displayName, f.firstName, f.lastName, f.company, f.department, f.title, f.email, f.note] { mix(text) }
        for number in f.numbers ?? [] {
            mix(number.kind.rawValue)
            mix(number.text)
        }
        // A new version with the same fields is still stored: write-through sends it back.
        // (Only when there are any: the hashes of CSV rows stay what they were before these existed.)
        if scope != nil || version != nil {
            mix(scope?.rawValue)
            mix(version)
        }
        return hash
    }
}

/// Whose a contact is in its system.
public enum ContactScope: String, Sendable, Codable, CaseIterable {
    /// The connected user's own (sipgate PRIVATE).
    case own
    /// The whole company's (sipgate SHARED); what write-through creates.
    case shared
    /// The system's own directory of its users (sipgate INTERNAL), read-only.
    case `internal`
}
