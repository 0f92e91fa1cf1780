import Foundation
import NIOHTTP1
import SwitchboardCore

/// A CardDAV address book (RFC 6352): Nextcloud, Radicale, iCloud, mailbox.org, SOGo, Baïkal…
///
/// **Keys.** A contact's `externalId` is its card's *href*: the server path of the resource
/// (`/alice/contacts/4f0a….vcf`), made canonical (percent-encoding normalised). CardDAV
/// addresses cards by href, and sync-collection reports a deleted card by its href alone — the
/// card, and so its UID, is gone by then. Keying by UID would leave deletions unmatchable, would
/// need a search to find a card for update, and would trip over cards without a UID (optional in
/// 3.0) or with one UID in two resources. The UID stays inside the card, untouched.
/// `SourceContact.version` is the card's ETag as the server sent it (quotes included), ready
/// for `If-Match`.
///
/// **Reads.** With the sync-token of the last run (`SourceFingerprint.cursor`) a REPORT
/// sync-collection (RFC 6578) gives the changed and removed hrefs; changed cards come in
/// addressbook-multiget batches, removed ones go to `sink.remove`. Without a token, or when the
/// server no longer accepts it (403/409 valid-sync-token), everything is read and the new token
/// kept. Servers without sync-collection are read with a Depth 1 PROPFIND and multiget, and a
/// run whose getctag did not change ends at once.
///
/// **Writes** (write-through) put whole cards with `If-None-Match: *` / `If-Match: <ETag>`; an
/// update merges the phonebook's fields into the card as it is on the server, so properties
/// other clients stored survive. New cards are vCard 4.0 where the address book lists 4.0 in
/// supported-address-data, else 3.0 (RFC 6352's default; Radicale lists only 3.0).
public struct CardDAVConnector: ContactSource, ContactWriter {
    public static let descriptor = ConnectorDescriptor(
        system: "carddav", label: "CardDAV address book",
        summary: "Contacts in a CardDAV address book (Nextcloud, Radicale, iCloud, mailbox.org, …): read with sync tokens, written back.",
        fields: [
            FieldSpec("url", "Server URL", required: true, example: "https://cloud.example.com/remote.php/dav/",
                      help: "The server's address, your principal, or the address book itself; the address book is found "
                          + "through current-user-principal and addressbook-home-set."),
            FieldSpec("username", "User name", required: false, example: "anna", help: "For HTTP Basic authentication."),
            FieldSpec("password", "Password", kind: .credential, required: false, help: "The password, or an app password where the server has them."),
            FieldSpec("addressBook", "Address book", required: false, example: "Contacts",
                      help: "When the account has several: the address book's display name or the last part of its URL. The first one otherwise."),
        ],
        capabilities: [.contactsRead, .contactChanges, .contactsWrite])

    /// Cards asked for in one addressbook-multiget.
    static let multigetBatch = 100
    /// Contacts handed to the sink at a time.
    static let sinkBatch = 1_000

    public init() {}

    /// Checks `url` before it is saved.
    public static func validate(settings: [String: String]) throws(ConnectorError) {
        guard let url = settings["url"]?.nonEmpty else {
            throw ConnectorError(.configuration, "set url to the CardDAV server, the principal or the address book", field: "url")
        }
        guard let parsed = URLComponents(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
              parsed.host?.isEmpty == false
        else {
            throw ConnectorError(.configuration, "must be an http or https URL", field: "url")
        }
    }

    public func test(_ context: ConnectorContext) async throws -> String {
        let session = try CardDAVSession(context)
        let book = try await session.discover()
        let members = try await session.members(of: book)
        let changes = book.syncToken != nil ? "changes are read with sync-collection" : "no sync-collection: every sync reads all cards"
        return "address book \"\(book.name)\" at \(session.origin)\(book.href): \(members.count) cards; \(changes); new cards are vCard \(book.writeVersion.rawValue)"
    }

    public func read(_ context: ConnectorContext, previous: SourceFingerprint?, into sink: any ContactSink) async throws -> ReadResult {
        let session = try CardDAVSession(context)
        let book = try await session.discover()
        if book.syncToken != nil {
            if let token = previous?.cursor {
                if token == book.syncToken { return .unchanged }
                switch try await changes(session, book, since: token) {
                case .changes(let delta):
                    let gone = try await fetch(delta.changed.map(\.href), session, book, into: sink)
                    let removed = delta.removed + gone
                    if !removed.isEmpty { try await sink.remove(removed) }
                    return .delta(SourceFingerprint(cursor: delta.token))
                case .refused(let reason):
                    await sink.warn("the server did not continue from the last sync token (\(reason)): the whole address book is read again")
                }
            }
            if case .changes(let all) = try await changes(session, book, since: "") {
                _ = try await fetch(all.changed.map(\.href), session, book, into: sink)
                return .complete(SourceFingerprint(cursor: all.token))
            }
            // sync-collection refused even without a token: read it as a server without one.
        } else if let ctag = book.ctag, previous?.cursor == nil, previous?.etag == ctag {
            return .unchanged
        }
        let members = try await session.members(of: book)
        _ = try await fetch(members.map(\.href), session, book, into: sink)
        return .complete(SourceFingerprint(etag: book.ctag))
    }

    // MARK: sync-collection

    struct Changes {
        var changed: [(href: String, etag: String?)] = []
        var removed: [String] = []
        var token: String?
    }

    enum SyncOutcome {
        case changes(Changes)
        /// The server did not take the token (or has no sync-collection): its status and words.
        case refused(String)
    }

    /// The members changed and removed since `token` ("" for every member). A truncated answer
    /// (507 on the collection) is continued from the token it carries.
    func changes(_ session: CardDAVSession, _ book: AddressBookInfo, since token: String) async throws -> SyncOutcome {
        var result = Changes()
        var position: [String: Int] = [:]
        var token = token
        for _ in 0..<1_000 {
            let response = try await session.report(book.href, depth: 0, body: DAVXML.syncCollection(token: token), accept: [400, 403, 405, 409, 415, 501])
            guard response.status == 207 else {
                let said = RemoteAPI.vendorMessage(response.body) ?? HTTPResponseStatus(statusCode: response.status).reasonPhrase
                return .refused("\(response.status): \(said)")
            }
            let multistatus = try Multistatus.parse(response.body)
            var truncated = false
            for member in multistatus.responses {
                let href = session.resolve(member.href, base: book.href)
                if CardDAVSession.sameCollection(href, book.href) {
                    truncated = truncated || member.status == 507
                    continue
                }
                if href.hasSuffix("/") { continue }  // a sub-collection, not a card
                if member.status == 404 || member.status == 410 {
                    if let index = position.removeValue(forKey: href) { result.changed[index].href = "" }
                    result.removed.append(href)
                } else if let index = position[href] {
                    result.changed[index].etag = member.etag
                } else {
                    position[href] = result.changed.count
                    result.changed.append((href, member.etag))
                }
            }
            result.token = multistatus.syncToken
            guard truncated, let next = multistatus.syncToken, next != token else { break }
            token = next
        }
        result.changed.removeAll { $0.href.isEmpty }
        return .changes(result)
    }

    // MARK: cards

    /// Reads the cards at `hrefs` (multiget in batches) into `sink`; returns the hrefs that are gone.
    /// A card that cannot be read is rejected with its href, so its entry stays as it was.
    func fetch(_ hrefs: [String], _ session: CardDAVSession, _ book: AddressBookInfo, into sink: any ContactSink) async throws -> [String] {
        var batch: [SourceContact] = []
        var rejected: [RowError] = []
        var gone: [String] = []
        func take(_ href: String, _ text: String, etag: String?) {
            do {
                let card = try VCard.parse(text)
                batch.append(SourceContact(externalId: href, fields: card.phonebookFields, version: etag))
            } catch {
                rejected.append(RowError(line: 0, reason: "\(href): \(error.reason)", externalId: href))
            }
        }
        var start = 0
        while start < hrefs.count {
            let chunk = Array(hrefs[start..<min(start + Self.multigetBatch, hrefs.count)])
            start += chunk.count
            let response = try await session.report(book.href, depth: nil, body: DAVXML.multiget(chunk))
            let multistatus = try Multistatus.parse(response.body)
            var answered = Set<String>()
            for member in multistatus.responses {
                let href = session.resolve(member.href, base: book.href)
                answered.insert(href)
                if member.status == 404 || member.status == 410 {
                    gone.append(href)
                } else if let text = member.addressData, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    take(href, text, etag: member.etag)
                } else if let card = try await session.card(href) {
                    take(href, card.text, etag: card.etag ?? member.etag)
                } else {
                    gone.append(href)
                }
            }
            // A server that leaves a card out of the answer: asked for it alone.
            for href in chunk where !answered.contains(href) {
                if let card = try await session.card(href) { take(href, card.text, etag: card.etag) } else { gone.append(href) }
            }
            if batch.count >= Self.sinkBatch || !rejected.isEmpty {
                try await sink.accept(batch, rejected: rejected)
                batch.removeAll(keepingCapacity: true)
                rejected.removeAll()
            }
        }
        if !batch.isEmpty || !rejected.isEmpty { try await sink.accept(batch, rejected: rejected) }
        return gone
    }
}
