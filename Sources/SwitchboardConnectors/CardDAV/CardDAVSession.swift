import Foundation
import NIOHTTP1
import SwitchboardCore

/// An address book as discovery found it.
struct AddressBookInfo: Sendable, Equatable {
    /// Canonical path, ending in `/`.
    var href: String
    var displayName: String?
    /// CalendarServer's getctag: changes whenever a card does (servers without sync-collection).
    var ctag: String?
    /// RFC 6578: present when the server offers sync-collection on this address book.
    var syncToken: String?
    /// Whether supported-address-data lists vCard 4.0 (RFC 6352 §6.2.2: absent means 3.0 only).
    var acceptsVCard4: Bool

    init(href: String, response: Multistatus.Response) {
        self.href = href.hasSuffix("/") ? href : href + "/"
        displayName = response[DAVXML.displayName]?.text.nonEmptyText
        ctag = response[DAVXML.getCTag]?.text.nonEmptyText
        syncToken = response[DAVXML.syncToken]?.text.nonEmptyText
        acceptsVCard4 = response[DAVXML.supportedAddressData]?.children.contains {
            $0.attributes["version"] == "4.0" && ($0.attributes["content-type"] ?? "text/vcard").lowercased() == "text/vcard"
        } ?? false
    }

    /// The version new cards are written in.
    var writeVersion: VCard.Version { acceptsVCard4 ? .v4 : .v3 }

    /// The display name, else the last segment of the href.
    var name: String { displayName ?? href.split(separator: "/").last.map { $0.removingPercentEncoding ?? String($0) } ?? href }
}

/// One CardDAV server as the connector talks to it: the setting's URL, Basic auth through
/// `RemoteAPI`, and hrefs made canonical so the same card always has the same key.
struct CardDAVSession: Sendable {
    static let system = "CardDAV"
    let api: RemoteAPI
    /// `https://host[:port]`: hrefs on it are kept as paths.
    let origin: String
    /// The canonical path of the `url` setting.
    let startPath: String
    let addressBookName: String?

    init(_ context: ConnectorContext) throws {
        try CardDAVConnector.validate(settings: context.settings)
        guard let text = context.settings["url"], let components = URLComponents(string: text), let origin = Self.origin(of: components) else {
            throw ConnectorError(.configuration, "set url to the CardDAV server, the principal or the address book", field: "url")
        }
        self.origin = origin
        let path = components.percentEncodedPath
        startPath = Self.canonicalPath(path.isEmpty ? "/" : path)
        addressBookName = context.settings["addressBook"]?.nonEmpty
        let user = context.settings["username"]?.nonEmpty ?? context.credentials["username"]?.nonEmpty
        let auth: RemoteAuth = user.map { .basic(user: $0, password: context.credentials["password"] ?? "") } ?? .none
        api = RemoteAPI(system: Self.system, baseURL: origin, auth: auth, context: context)
    }

    // MARK: hrefs

    /// `scheme://host[:port]`, lower-cased, default ports left out.
    static func origin(of components: URLComponents) -> String? {
        guard let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme), let host = components.host?.lowercased(), !host.isEmpty else {
            return nil
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        if let port = components.port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) {
            return "\(scheme)://\(hostPart):\(port)"
        }
        return "\(scheme)://\(hostPart)"
    }

    /// Each segment percent-decoded and encoded again the same way, so `%40` and `@` give one key.
    static func canonicalPath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            let decoded = segment.removingPercentEncoding ?? String(segment)
            return decoded.addingPercentEncoding(withAllowedCharacters: segmentCharacters) ?? String(segment)
        }.joined(separator: "/")
    }

    /// RFC 3986 pchar: unreserved, sub-delims, ":" and "@".
    static let segmentCharacters = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@")

    /// An href from the server (a path, a full URL, or relative to `base`) as the connector keys it:
    /// a canonical path on this server, or the full URL on another one.
    func resolve(_ href: String, base: String) -> String {
        let trimmed = href.trimmingCharacters(in: .whitespacesAndNewlines)
        func keyed(_ host: String, _ path: String) -> String {
            let canonical = Self.canonicalPath(path.isEmpty ? "/" : path)
            return host == origin ? canonical : host + canonical
        }
        if let components = URLComponents(string: trimmed), components.scheme != nil, let other = Self.origin(of: components) {
            return keyed(other, components.percentEncodedPath)
        }
        // A path is on the host of the URL it came from (iCloud's home set is on another host than its principal).
        var baseOrigin = origin
        var basePath = base
        if let components = URLComponents(string: base), components.scheme != nil, let other = Self.origin(of: components) {
            baseOrigin = other
            basePath = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        }
        let path = trimmed.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? trimmed
        if path.hasPrefix("/") { return keyed(baseOrigin, path) }
        var directory = "/"
        if basePath.hasSuffix("/") {
            directory = basePath
        } else if let slash = basePath.lastIndex(of: "/") {
            directory = String(basePath[...slash])
        }
        return keyed(baseOrigin, directory + path)
    }

    static func sameCollection(_ a: String, _ b: String) -> Bool {
        func bare(_ s: String) -> Substring { s.hasSuffix("/") ? s.dropLast() : Substring(s) }
        return bare(a) == bare(b)
    }

    // MARK: requests

    func propfind(_ path: String, depth: Int, _ properties: [DAVXML.Name], accept: Set<Int> = []) async throws -> (RemoteResponse, Multistatus?) {
        let request = RemoteRequest(.PROPFIND, path, headers: Self.xmlHeaders + [("Depth", String(depth))], body: DAVXML.propfind(properties))
        let response = try await api.send(request, accept: accept)
        guard response.status == 207 else { return (response, nil) }
        return (response, try Multistatus.parse(response.body))
    }

    /// The response about `path` itself in a Depth 0 PROPFIND (nil when the server accepted a refusal in `accept`).
    func describe(_ path: String, accept: Set<Int> = []) async throws -> (href: String, response: Multistatus.Response)? {
        let (_, multistatus) = try await propfind(path, depth: 0, DAVXML.discoveryProperties, accept: accept)
        guard let responses = multistatus?.responses, !responses.isEmpty else { return nil }
        let match = responses.first { Self.sameCollection(resolve($0.href, base: path), path) } ?? responses[0]
        return (resolve(match.href, base: path), match)
    }

    func report(_ path: String, depth: Int?, body: [UInt8], accept: Set<Int> = []) async throws -> RemoteResponse {
        var headers = Self.xmlHeaders
        if let depth { headers.append(("Depth", String(depth))) }
        return try await api.send(RemoteRequest(.REPORT, path, headers: headers, body: body), accept: accept)
    }

    static let xmlHeaders = [("Content-Type", "application/xml; charset=utf-8"), ("Accept", "application/xml, text/xml")]

    // MARK: discovery

    /// The address book to use: the URL itself when it is one; else, from the URL's principal
    /// (current-user-principal) its addressbook-home-set, and there the named or the first address
    /// book. A bare server root that knows nothing is asked through `/.well-known/carddav` (RFC 6764).
    func discover() async throws -> AddressBookInfo {
        var start = startPath
        let atRoot = start == "/"
        var here = try await describe(start, accept: atRoot ? [403, 404, 405, 501] : [])
        if atRoot, here.map({ !Self.leadsSomewhere($0.response) }) ?? true, let found = try await wellKnown() {
            start = found
            here = try await describe(start)
        }
        guard let here else {
            throw ConnectorError(.configuration, "found no CardDAV service at \(origin)\(start): give the address book's URL", field: "url")
        }
        if here.response.resourceTypeContains(DAVXML.addressBook) { return AddressBookInfo(href: here.href, response: here.response) }
        var homes = here.response[DAVXML.addressBookHomeSet]?.hrefs.map { resolve($0, base: start) } ?? []
        if homes.isEmpty, let principal = here.response[DAVXML.currentUserPrincipal]?.hrefs.first.map({ resolve($0, base: start) }),
           !Self.sameCollection(principal, here.href) {
            homes = try await describe(principal)?.response[DAVXML.addressBookHomeSet]?.hrefs.map { resolve($0, base: principal) } ?? []
        }
        if homes.isEmpty { homes = [here.href] }  // the URL may be the home set itself
        var books: [AddressBookInfo] = []
        for home in homes {
            let (_, multistatus) = try await propfind(home, depth: 1, DAVXML.discoveryProperties)
            for response in multistatus?.responses ?? [] where response.resourceTypeContains(DAVXML.addressBook) {
                books.append(AddressBookInfo(href: resolve(response.href, base: home), response: response))
            }
        }
        return try choose(books, homes: homes)
    }

    /// Whether a resource is, or points to, something discovery can use.
    static func leadsSomewhere(_ response: Multistatus.Response) -> Bool {
        response.resourceTypeContains(DAVXML.addressBook) || response[DAVXML.currentUserPrincipal]?.hrefs.isEmpty == false
            || response[DAVXML.addressBookHomeSet]?.hrefs.isEmpty == false
    }

    /// `/.well-known/carddav`: where its redirect points (or, when the HTTP client followed it, the href answered).
    func wellKnown() async throws -> String? {
        let (response, multistatus) = try await propfind(
            "/.well-known/carddav", depth: 0, DAVXML.discoveryProperties, accept: [301, 302, 303, 307, 308, 400, 403, 404, 405, 501])
        if (300..<400).contains(response.status), let location = response.headers.first(name: "Location") {
            let target = resolve(location, base: "/.well-known/carddav")
            return target == "/.well-known/carddav" || target.contains("://") ? nil : target
        }
        guard let href = multistatus?.responses.first?.href else { return nil }
        let target = resolve(href, base: "/")
        return target == "/" || target.contains("://") ? nil : target
    }

    func choose(_ books: [AddressBookInfo], homes: [String]) throws -> AddressBookInfo {
        let sorted = books.sorted { $0.href < $1.href }
        guard let first = sorted.first else {
            throw ConnectorError(.configuration, "found no address book at \(origin)\(startPath) (looked in \(homes.joined(separator: ", ")))", field: "url")
        }
        guard let wanted = addressBookName else { return first }
        let segment = Self.canonicalPath(wanted)
        if let match = sorted.first(where: {
            $0.displayName?.caseInsensitiveCompare(wanted) == .orderedSame || $0.name.caseInsensitiveCompare(wanted) == .orderedSame
                || $0.href.split(separator: "/").last.map(String.init) == segment || Self.sameCollection($0.href, segment)
        }) {
            return match
        }
        throw ConnectorError(.configuration, "no address book named \"\(wanted)\"; found: " + sorted.map { "\($0.name) (\($0.href))" }.joined(separator: ", "),
                             field: "addressBook")
    }

    // MARK: members

    /// Every card of the address book with its ETag (Depth 1 PROPFIND: servers without sync-collection).
    func members(of book: AddressBookInfo) async throws -> [(href: String, etag: String?)] {
        let (_, multistatus) = try await propfind(book.href, depth: 1, [DAVXML.resourceType, DAVXML.getETag])
        return (multistatus?.responses ?? []).compactMap { response in
            let href = resolve(response.href, base: book.href)
            guard !href.hasSuffix("/"), !response.resourceTypeContains(DAVXML.collection) else { return nil }
            return (href, response.etag)
        }
    }

    /// A card: its text and ETag; nil when it is not there (404).
    func card(_ href: String) async throws -> (text: String, etag: String?)? {
        let response = try await api.send(RemoteRequest(.GET, href, headers: [("Accept", "text/vcard, text/x-vcard;q=0.5")]), accept: [404, 410])
        guard (200..<300).contains(response.status) else { return nil }
        return (response.text, Self.strongETag(response))
    }

    /// The ETag header, unless weak (a weak one on a PUT means the server changed what was stored).
    static func strongETag(_ response: RemoteResponse) -> String? {
        guard let etag = response.headers.first(name: "ETag")?.trimmingCharacters(in: .whitespaces), !etag.isEmpty, !etag.hasPrefix("W/") else { return nil }
        return etag
    }
}
