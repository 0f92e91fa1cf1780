import AsyncHTTPClient
import Foundation
import RadicaleTestServer
import SwitchboardConnectors
import SwitchboardCore

/// Collects what a connector hands over, as the sync engine's sink would receive it.
actor CollectingSink: ContactSink {
    private(set) var contacts: [SourceContact] = []
    private(set) var rejected: [RowError] = []
    private(set) var removed: [String] = []
    private(set) var warnings: [String] = []
    private(set) var batches = 0

    func accept(_ contacts: [SourceContact], rejected: [RowError]) async throws {
        batches += 1
        self.contacts += contacts
        self.rejected += rejected
    }

    func remove(_ externalIds: [String]) async throws { removed += externalIds }

    func warn(_ warning: String) async { warnings.append(warning) }

    func contact(_ externalId: String) -> SourceContact? { contacts.first { $0.externalId == externalId } }
}

/// A connector context for `url` on a test server (credentials: the user's password unless given).
func davContext(_ server: RadicaleServer, url: String, user: String = "alice", password: String? = nil, addressBook: String? = nil) -> ConnectorContext {
    var settings = ["url": url, "username": user]
    if let addressBook { settings["addressBook"] = addressBook }
    return ConnectorContext(
        settings: settings, credentials: ["password": password ?? server.users[user] ?? ""], http: HTTPClient.shared,
        timeout: .seconds(15), localDirectory: nil, temporaryDirectory: NSTemporaryDirectory())
}

/// The numbers of a contact as "kind:text" (tuples do not compare).
func numbers(_ contact: SourceContact?) -> [String] {
    (contact?.fields.numbers ?? []).map { "\($0.kind.rawValue):\($0.text)" }
}

func numbers(_ fields: PhonebookFields) -> [String] {
    (fields.numbers ?? []).map { "\($0.kind.rawValue):\($0.text)" }
}

/// Cards as other clients store them (CRLF line ends, as on the wire).
enum Cards {
    static func crlf(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
    }

    static let anna = crlf("""
        BEGIN:VCARD
        VERSION:3.0
        UID:anna-1
        FN:Anna Virtanen
        N:Virtanen;Anna;;;
        ORG:Virtanen Oy;Sales
        TITLE:Sales manager
        EMAIL;TYPE=INTERNET,WORK:anna@virtanen.example
        TEL;TYPE=CELL:+358 40 123 4567
        TEL;TYPE=WORK,VOICE:+358 9 123 456
        ADR;TYPE=WORK:;;Mannerheimintie 1;Helsinki;;00100;Finland
        X-SOCIALPROFILE;TYPE=twitter:https://twitter.example/anna
        END:VCARD

        """)

    static let bjorn = crlf("""
        BEGIN:VCARD
        VERSION:4.0
        UID:urn:uuid:8a3c4d30-5b6e-4f70-9a81-92b3c4d5e6f7
        FN:Björn Åström
        N:Åström;Björn;;;
        TEL;VALUE=uri;TYPE=home:tel:+46-8-123-456
        TEL;TYPE="work,fax":+46 8 123 457
        END:VCARD

        """)

    static let carl = crlf("""
        BEGIN:VCARD
        VERSION:3.0
        PRODID:-//Apple Inc.//macOS 14.4//EN
        UID:C0FFEE00-0000-4000-8000-000000000003
        N:Example;Carl;;;
        FN:Carl Example
        item1.TEL;type=pref:+49 30 1234567
        item1.X-ABLabel:_$!<Other>!$_
        END:VCARD

        """)
}
