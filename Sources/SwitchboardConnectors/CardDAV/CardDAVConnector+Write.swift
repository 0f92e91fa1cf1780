import Foundation
import NIOHTTP1
import SwitchboardCore

/// Write-through: the card on the server first, then the phonebook.
extension CardDAVConnector {
    /// PUTs a new card at `<uuid>.vcf` in the address book (`If-None-Match: *`: never over another card).
    public func create(_ context: ConnectorContext, _ fields: PhonebookFields) async throws -> SourceContact {
        let session = try CardDAVSession(context)
        let book = try await session.discover()
        let uuid = UUID().uuidString.lowercased()
        let version = book.writeVersion
        let card = VCard.make(fields, version: version, uid: version == .v4 ? "urn:uuid:\(uuid)" : uuid)
        let href = book.href + uuid + ".vcf"
        let response = try await session.api.send(put(href, card, condition: ("If-None-Match", "*")), accept: [412])
        if response.status == 412 {
            throw ConnectorError(.remote, "\(CardDAVSession.system) already has a card at \(href) (412 Precondition Failed); nothing was written",
                                 status: 412, system: CardDAVSession.system, systemMessage: RemoteAPI.vendorMessage(response.body))
        }
        return try await stored(session, href, written: card, response: response)
    }

    /// Merges `fields` into the card as the server has it now (its other properties stay) and PUTs
    /// it with `If-Match`: a card changed by someone else since `version` is not overwritten.
    /// CardDAV has no scopes: `scope` is ignored.
    public func update(_ context: ConnectorContext, externalId: String, version: String?, scope: ContactScope?, _ fields: PhonebookFields) async throws
        -> SourceContact
    {
        let session = try CardDAVSession(context)
        guard let current = try await session.card(externalId) else { throw Self.missing(externalId) }
        if let version, let etag = current.etag, Self.quoted(version) != etag { throw Self.changed(externalId, version: version, status: 412, said: nil) }
        var card: VCard
        do {
            card = try VCard.parse(current.text)
        } catch {
            throw ConnectorError(.invalidSource, "the card at \(externalId) cannot be read (\(error.reason)); it was left as it is", system: CardDAVSession.system)
        }
        card.apply(fields)
        let guardTag = version.map(Self.quoted) ?? current.etag
        let response = try await session.api.send(put(externalId, card, condition: guardTag.map { ("If-Match", $0) }), accept: [404, 412])
        switch response.status {
        case 404: throw Self.missing(externalId)
        case 412: throw Self.changed(externalId, version: guardTag ?? "", status: 412, said: RemoteAPI.vendorMessage(response.body))
        default: return try await stored(session, externalId, written: card, response: response)
        }
    }

    /// DELETE with `If-Match`; a card that is already gone counts as deleted.
    public func delete(_ context: ConnectorContext, externalId: String, version: String?) async throws {
        let session = try CardDAVSession(context)
        let headers = version.map { [("If-Match", Self.quoted($0))] } ?? []
        let response = try await session.api.send(RemoteRequest(.DELETE, externalId, headers: headers), accept: [404, 410, 412])
        if response.status == 412 {
            throw Self.changed(externalId, version: version ?? "", status: 412, said: RemoteAPI.vendorMessage(response.body))
        }
    }

    // MARK: helpers

    func put(_ href: String, _ card: VCard, condition: (String, String)?) -> RemoteRequest {
        var headers = [("Content-Type", "text/vcard; charset=utf-8"), ("Accept", "*/*")]
        if let condition { headers.append(condition) }
        return RemoteRequest(.PUT, href, headers: headers, body: Array(card.serialized().utf8))
    }

    /// The contact as stored: with the ETag of the PUT's answer, or — when the server gave none, or
    /// a weak one because it changed the card — as a GET finds it.
    func stored(_ session: CardDAVSession, _ href: String, written card: VCard, response: RemoteResponse) async throws -> SourceContact {
        if let etag = CardDAVSession.strongETag(response) {
            return SourceContact(externalId: href, fields: card.phonebookFields, version: etag)
        }
        guard let now = try await session.card(href) else { throw Self.missing(href) }
        let fields = (try? VCard.parse(now.text))?.phonebookFields ?? card.phonebookFields
        return SourceContact(externalId: href, fields: fields, version: now.etag)
    }

    /// ETags go on the wire quoted; a version stored without quotes gets them back.
    static func quoted(_ etag: String) -> String {
        let trimmed = etag.trimmingCharacters(in: .whitespaces)
        return trimmed.hasPrefix("\"") || trimmed.hasPrefix("W/") ? trimmed : "\"\(trimmed)\""
    }

    static func changed(_ href: String, version: String, status: Int, said: String?) -> ConnectorError {
        ConnectorError(.remote, "the card \(href) changed on the server since it was last read (it is no longer version \(version)); "
            + "nothing was written: sync the interface and make the change again",
            status: status, system: CardDAVSession.system, systemMessage: said)
    }

    static func missing(_ href: String) -> ConnectorError {
        ConnectorError(.remote, "the card \(href) is no longer on the server (deleted since the last sync?); nothing was written",
                       status: 404, system: CardDAVSession.system)
    }
}
