import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// WebDAV and CardDAV XML: the request bodies the connector sends (RFC 4918 PROPFIND,
/// RFC 6352 addressbook-multiget, RFC 6578 sync-collection) and the 207 Multi-Status answer.
enum DAVXML {
    static let dav = "DAV:"
    static let cardDAV = "urn:ietf:params:xml:ns:carddav"
    static let calendarServer = "http://calendarserver.org/ns/"

    /// An element name with its namespace (prefixes differ between servers; namespaces do not).
    struct Name: Hashable, Sendable, CustomStringConvertible {
        var namespace: String
        var local: String

        init(_ namespace: String, _ local: String) {
            self.namespace = namespace
            self.local = local
        }

        var description: String { "{\(namespace)}\(local)" }

        static func dav(_ local: String) -> Name { Name(DAVXML.dav, local) }
        static func cardDAV(_ local: String) -> Name { Name(DAVXML.cardDAV, local) }
    }

    static let resourceType = Name.dav("resourcetype")
    static let displayName = Name.dav("displayname")
    static let currentUserPrincipal = Name.dav("current-user-principal")
    static let addressBookHomeSet = Name.cardDAV("addressbook-home-set")
    static let getCTag = Name(calendarServer, "getctag")
    static let syncToken = Name.dav("sync-token")
    static let supportedAddressData = Name.cardDAV("supported-address-data")
    static let getETag = Name.dav("getetag")
    static let addressData = Name.cardDAV("address-data")
    static let addressBook = Name.cardDAV("addressbook")
    static let collection = Name.dav("collection")

    /// What discovery asks of every URL it visits: enough to tell a principal, a home set and an address book apart.
    static let discoveryProperties = [
        resourceType, displayName, currentUserPrincipal, addressBookHomeSet, getCTag, syncToken, supportedAddressData,
    ]

    static func propfind(_ names: [Name]) -> [UInt8] {
        let props = names.map { element($0) }.joined()
        return Array((header + #"<d:propfind xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/"><d:prop>"#
            + props + "</d:prop></d:propfind>").utf8)
    }

    /// The members changed since `token` ("" for all of them), with their ETags.
    static func syncCollection(token: String) -> [UInt8] {
        let tokenElement = token.isEmpty ? "<d:sync-token/>" : "<d:sync-token>\(escape(token))</d:sync-token>"
        return Array((header + #"<d:sync-collection xmlns:d="DAV:">"# + tokenElement
            + "<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>").utf8)
    }

    /// The cards at `hrefs` with their ETags.
    static func multiget(_ hrefs: [String]) -> [UInt8] {
        let list = hrefs.map { "<d:href>\(escape($0))</d:href>" }.joined()
        return Array((header + #"<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav">"#
            + "<d:prop><d:getetag/><card:address-data/></d:prop>" + list + "</card:addressbook-multiget>").utf8)
    }

    static let header = #"<?xml version="1.0" encoding="utf-8"?>"#

    private static func element(_ name: Name) -> String {
        let prefix = switch name.namespace {
        case dav: "d"
        case cardDAV: "card"
        default: "cs"
        }
        return "<\(prefix):\(name.local)/>"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// A 207 Multi-Status answer, per href: its status, its properties, and the new sync-token.
struct Multistatus: Sendable {
    /// One property as found in a 200 propstat.
    struct Property: Sendable {
        var name: DAVXML.Name
        /// The text inside, trimmed (getetag, displayname, sync-token, address-data).
        var text: String
        /// `DAV:href`s inside (current-user-principal, addressbook-home-set).
        var hrefs: [String]
        /// The child elements (resourcetype's `collection`, `addressbook`), with their attributes.
        var children: [(name: DAVXML.Name, attributes: [String: String])]
    }

    struct Response: Sendable {
        var href: String
        /// A status for the whole response: sync-collection's `404` for a removed member, `507` when truncated.
        var status: Int?
        var properties: [DAVXML.Name: Property] = [:]

        subscript(name: DAVXML.Name) -> Property? { properties[name] }

        var etag: String? { self[DAVXML.getETag]?.text.nonEmptyText }
        var addressData: String? { self[DAVXML.addressData]?.text }

        func resourceTypeContains(_ name: DAVXML.Name) -> Bool {
            self[DAVXML.resourceType]?.children.contains { $0.name == name } ?? false
        }
    }

    var responses: [Response]
    /// RFC 6578: the token to send next time (a child of `multistatus`).
    var syncToken: String?

    /// Parses the body; a body that is not a multistatus is the server's fault, said in words.
    static func parse(_ body: [UInt8], system: String = "CardDAV") throws -> Multistatus {
        let builder = TreeBuilder()
        let parser = XMLParser(data: Data(body))
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            let reason = parser.parserError.map { "\($0.localizedDescription)" } ?? "no document"
            throw ConnectorError(.remote, "\(system) sent a multistatus answer that is not valid XML (\(reason)): "
                + String(decoding: body.prefix(200), as: UTF8.self), system: system)
        }
        guard root.name == .dav("multistatus") else {
            throw ConnectorError(.remote, "\(system) answered with <\(root.name.local)> where a DAV multistatus was expected", system: system)
        }
        var result = Multistatus(responses: [], syncToken: nil)
        for child in root.children {
            if child.name == DAVXML.syncToken { result.syncToken = child.text.nonEmptyText }
            guard child.name == .dav("response") else { continue }
            guard let href = child.children.first(where: { $0.name == .dav("href") })?.text.nonEmptyText else { continue }
            var response = Response(href: href, status: child.children.first { $0.name == .dav("status") }.flatMap { Self.status($0.text) })
            for propstat in child.children where propstat.name == .dav("propstat") {
                let status = propstat.children.first { $0.name == .dav("status") }.flatMap { Self.status($0.text) } ?? 200
                guard (200..<300).contains(status) else { continue }
                for prop in propstat.children where prop.name == .dav("prop") {
                    for element in prop.children {
                        response.properties[element.name] = Property(
                            name: element.name,
                            text: element.name == DAVXML.addressData ? element.text : element.text.trimmingCharacters(in: .whitespacesAndNewlines),
                            hrefs: element.children.filter { $0.name == .dav("href") }.compactMap(\.text.nonEmptyText),
                            children: element.children.map { ($0.name, $0.attributes) })
                    }
                }
            }
            result.responses.append(response)
        }
        return result
    }

    /// `HTTP/1.1 404 Not Found` → 404.
    static func status(_ line: String) -> Int? {
        let parts = line.split(separator: " ")
        return parts.count >= 2 ? Int(parts[1]) : nil
    }
}

extension String {
    /// Trimmed, nil when empty.
    var nonEmptyText: String? {
        let trimmed = trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }
}

/// A small element tree from XMLParser's events (multistatus answers are bounded by RemoteAPI).
private final class TreeBuilder: NSObject, XMLParserDelegate {
    struct Element {
        var name: DAVXML.Name
        var attributes: [String: String]
        var text = ""
        var children: [Element] = []
    }

    var stack: [Element] = []
    var root: Element?

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        // Without a namespace prefix processing, `elementName` is the local name.
        let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
        stack.append(Element(name: DAVXML.Name(namespaceURI ?? "", local), attributes: attributes))
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        guard let element = stack.popLast() else { return }
        if stack.isEmpty {
            root = element
        } else {
            stack[stack.count - 1].children.append(element)
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
    }
}
