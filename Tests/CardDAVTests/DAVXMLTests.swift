import AsyncHTTPClient
import Foundation
import SwitchboardCore
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

@testable import SwitchboardConnectors

@Suite("DAV XML")
struct DAVXMLTests {
    @Test("a sync-collection answer: changed and removed members, the new token (Radicale's default-namespace form)")
    func syncCollection() throws {
        let body = """
            <?xml version='1.0' encoding='utf-8'?>
            <multistatus xmlns="DAV:"><sync-token>http://radicale.org/ns/sync/f48e</sync-token>\
            <response><href>/alice/contacts/a.vcf</href><status>HTTP/1.1 404 Not Found</status></response>\
            <response><href>/alice/contacts/b.vcf</href><propstat><prop><getetag>"e064"</getetag></prop>\
            <status>HTTP/1.1 200 OK</status></propstat></response></multistatus>
            """
        let parsed = try Multistatus.parse(Array(body.utf8))
        #expect(parsed.syncToken == "http://radicale.org/ns/sync/f48e")
        #expect(parsed.responses.map(\.href) == ["/alice/contacts/a.vcf", "/alice/contacts/b.vcf"])
        #expect(parsed.responses[0].status == 404)
        #expect(parsed.responses[0].etag == nil)
        #expect(parsed.responses[1].status == nil)
        #expect(parsed.responses[1].etag == "\"e064\"")
    }

    @Test("PROPFIND on an address book with other prefixes: resourcetype, ctag, sync-token, vCard versions; 404 propstats ignored")
    func addressBookProperties() throws {
        let body = """
            <?xml version="1.0"?>
            <d:multistatus xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/">
             <d:response>
              <d:href>/remote.php/dav/addressbooks/users/anna/contacts/</d:href>
              <d:propstat><d:prop>
                <d:resourcetype><d:collection/><card:addressbook/></d:resourcetype>
                <d:displayname>Kontakte &amp; more</d:displayname>
                <cs:getctag>42</cs:getctag>
                <d:sync-token>http://sabre.io/ns/sync/42</d:sync-token>
                <card:supported-address-data>
                  <card:address-data-type content-type="text/vcard" version="3.0"/>
                  <card:address-data-type content-type="text/vcard" version="4.0"/>
                </card:supported-address-data>
              </d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
              <d:propstat><d:prop><d:current-user-principal/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>
             </d:response>
            </d:multistatus>
            """
        let response = try #require(try Multistatus.parse(Array(body.utf8)).responses.first)
        #expect(response.resourceTypeContains(DAVXML.addressBook))
        #expect(response[DAVXML.currentUserPrincipal] == nil)
        let book = AddressBookInfo(href: response.href, response: response)
        #expect(book.displayName == "Kontakte & more")
        #expect(book.ctag == "42")
        #expect(book.syncToken == "http://sabre.io/ns/sync/42")
        #expect(book.acceptsVCard4)
        #expect(book.writeVersion == .v4)
    }

    @Test("principal hrefs, and address data in CDATA or as escaped text")
    func hrefsAndAddressData() throws {
        let body = """
            <D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
            <D:response><D:href>/</D:href><D:propstat><D:prop>
            <D:current-user-principal><D:href>/principals/anna/</D:href></D:current-user-principal>
            <C:addressbook-home-set><D:href>/home/anna/</D:href><D:href>/shared/</D:href></C:addressbook-home-set>
            <D:resourcetype><D:collection/></D:resourcetype>
            <C:supported-address-data><C:address-data-type content-type="text/vcard" version="3.0"/></C:supported-address-data>
            </D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
            <D:response><D:href>/home/anna/book/x.vcf</D:href><D:propstat><D:prop><D:getetag>"1"</D:getetag>
            <C:address-data><![CDATA[BEGIN:VCARD
            VERSION:3.0
            FN:A & B <co>
            END:VCARD
            ]]></C:address-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
            <D:response><D:href>/home/anna/book/y.vcf</D:href><D:propstat><D:prop><D:getetag>"2"</D:getetag>
            <C:address-data>BEGIN:VCARD&#13;
            VERSION:3.0&#13;
            FN:C &amp; D&#13;
            END:VCARD&#13;
            </C:address-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
            </D:multistatus>
            """
        let parsed = try Multistatus.parse(Array(body.utf8))
        let root = parsed.responses[0]
        #expect(root[DAVXML.currentUserPrincipal]?.hrefs == ["/principals/anna/"])
        #expect(root[DAVXML.addressBookHomeSet]?.hrefs == ["/home/anna/", "/shared/"])
        #expect(!root.resourceTypeContains(DAVXML.addressBook))
        #expect(!AddressBookInfo(href: "/", response: root).acceptsVCard4)
        #expect(try VCard.parse(try #require(parsed.responses[1].addressData)).first("FN")?.text == "A & B <co>")
        #expect(try VCard.parse(try #require(parsed.responses[2].addressData)).first("FN")?.text == "C & D")
    }

    @Test("an answer that is not a multistatus is the server's fault, said in words")
    func notMultistatus() throws {
        #expect(throws: ConnectorError.self) { try Multistatus.parse(Array("<html><body>Login</body></html>".utf8)) }
        do {
            _ = try Multistatus.parse(Array("<multistatus xmlns='DAV:'><response>".utf8))
            Issue.record("a truncated document was accepted")
        } catch let error as ConnectorError {
            #expect(error.kind == .remote)
            #expect(error.message.contains("not valid XML"))
        }
    }

    @Test("request bodies: names in their namespaces, tokens and hrefs escaped")
    func requestBodies() throws {
        let propfind = String(decoding: DAVXML.propfind(DAVXML.discoveryProperties), as: UTF8.self)
        #expect(propfind.contains("<card:addressbook-home-set/>"))
        #expect(propfind.contains("<cs:getctag/>"))
        #expect(propfind.contains("<d:current-user-principal/>"))
        #expect(propfind.contains(#"xmlns:card="urn:ietf:params:xml:ns:carddav""#))
        let sync = String(decoding: DAVXML.syncCollection(token: "http://x/sync?a=1&b=<2>"), as: UTF8.self)
        #expect(sync.contains("<d:sync-token>http://x/sync?a=1&amp;b=&lt;2&gt;</d:sync-token>"))
        #expect(sync.contains("<d:sync-level>1</d:sync-level>"))
        #expect(String(decoding: DAVXML.syncCollection(token: ""), as: UTF8.self).contains("<d:sync-token/>"))
        let multiget = String(decoding: DAVXML.multiget(["/a/b&c.vcf", "/a/d.vcf"]), as: UTF8.self)
        #expect(multiget.contains("<d:href>/a/b&amp;c.vcf</d:href><d:href>/a/d.vcf</d:href>"))
        #expect(multiget.contains("<card:address-data/>"))
        // Each body is well-formed XML.
        for body in [propfind, sync, multiget] { #expect(XMLParser(data: Data(body.utf8)).parse()) }
    }

    @Test("hrefs are keyed canonically: full URLs on the server become paths, percent-encoding is normalised")
    func canonicalHrefs() throws {
        let context = ConnectorContext(settings: ["url": "http://127.0.0.1:5232/alice/"], credentials: [:], http: HTTPClient.shared,
                                       timeout: .seconds(5), localDirectory: nil, temporaryDirectory: NSTemporaryDirectory())
        let session = try CardDAVSession(context)
        #expect(session.origin == "http://127.0.0.1:5232")
        #expect(session.startPath == "/alice/")
        #expect(session.resolve("http://127.0.0.1:5232/alice/contacts/a%40b.vcf", base: "/") == "/alice/contacts/a@b.vcf")
        #expect(session.resolve("/alice/contacts/a@b.vcf", base: "/") == "/alice/contacts/a@b.vcf")
        #expect(session.resolve("/alice/contacts/J%c3%bcrgen%20K.vcf", base: "/") == "/alice/contacts/J%C3%BCrgen%20K.vcf")
        #expect(session.resolve("x.vcf", base: "/alice/contacts/") == "/alice/contacts/x.vcf")
        #expect(session.resolve("https://other.example/a/x.vcf", base: "/") == "https://other.example/a/x.vcf")
        // A path in an answer from another host (iCloud's home set) stays on that host.
        let home = "https://p42-contacts.icloud.example/1234/carddavhome/"
        #expect(session.resolve("/1234/carddavhome/card/x.vcf", base: home) == "https://p42-contacts.icloud.example/1234/carddavhome/card/x.vcf")
        #expect(session.resolve("card/", base: home) == "https://p42-contacts.icloud.example/1234/carddavhome/card/")
        #expect(session.resolve("https://127.0.0.1:5232/x/", base: home) == "https://127.0.0.1:5232/x/")
        #expect(session.resolve("http://127.0.0.1:5232/x/", base: home) == "/x/")
        #expect(CardDAVSession.sameCollection("/alice/contacts", "/alice/contacts/"))
        #expect(throws: ConnectorError.self) { try CardDAVConnector.validate(settings: ["url": "ftp://x/"]) }
        #expect(throws: ConnectorError.self) { try CardDAVConnector.validate(settings: [:]) }
        try CardDAVConnector.validate(settings: ["url": "https://dav.example.com"])
    }
}
