import Foundation
import HTTPTestServer

/// `POST /persons`, `PUT /persons/{id}`, `DELETE /persons/{id}`.
extension PipedriveAPI {
    /// Creates a person: 201 with the person as `GET /persons/{id}` shows it. `name` is required.
    func create(_ request: HTTPTestRequest) -> HTTPTestResponse {
        if let denied = authorize(request, .write) { return denied }
        guard let body = Self.body(request) else { return PipedriveJSON.error(400, "Invalid request body") }
        guard let name = (body["name"] as? String)?.trimmingCharacters(in: .whitespaces), !name.isEmpty else {
            return PipedriveJSON.error(400, "Name must be given.")
        }
        var person = PipedrivePerson(name: name)
        if let failure = apply(body, to: &person) { return failure }
        let now = clock.now
        // One person is encoded under the lock: small, and it is the state the write left.
        return dataset.withLock { dataset in
            if let orgID = person.orgID, dataset.organizations[orgID] == nil {
                return PipedriveJSON.error(400, "Organization not found")
            }
            let id = dataset.add(person, now: now)
            guard let stored = dataset.person(id) else { return PipedriveJSON.error(500, "lost the new person") }
            return Self.personResponse(stored, context(dataset), status: 201)
        }
    }

    /// Changes the fields the body names (others stay); `update_time` becomes now. A deleted
    /// person cannot be changed (404 ⚠).
    func update(_ request: HTTPTestRequest) -> HTTPTestResponse {
        if let denied = authorize(request, .write) { return denied }
        guard let id = request.pathParameters["id"].flatMap({ Int($0) }) else {
            return PipedriveJSON.error(404, "Person not found")
        }
        guard let body = Self.body(request) else { return PipedriveJSON.error(400, "Invalid request body") }
        var changes = PipedrivePerson(name: "")
        if let failure = apply(body, to: &changes) { return failure }
        if body["name"] != nil, changes.name.trimmingCharacters(in: .whitespaces).isEmpty {
            return PipedriveJSON.error(400, "Name must be given.")
        }
        let now = clock.now
        return dataset.withLock { dataset in
            guard let existing = dataset.person(id), existing.isActive else {
                return PipedriveJSON.error(404, "Person not found")
            }
            if body["org_id"] != nil, let orgID = changes.orgID, dataset.organizations[orgID] == nil {
                return PipedriveJSON.error(400, "Organization not found")
            }
            let person = dataset.modify(id, now: now) { person in
                if body["name"] != nil { person.name = changes.name }
                if body["phone"] != nil { person.phones = changes.phones }
                if body["email"] != nil { person.emails = changes.emails }
                if body["org_id"] != nil { person.orgID = changes.orgID }
                if body["owner_id"] != nil { person.ownerID = changes.ownerID }
                if body["visible_to"] != nil { person.visibleTo = changes.visibleTo }
            }
            guard let person else { return PipedriveJSON.error(404, "Person not found") }
            return Self.personResponse(person, context(dataset), status: 200)
        }
    }

    /// Soft delete: 200 `{"success":true,"data":{"id":N}}`; the person keeps answering
    /// `GET /persons/{id}` with `active_flag` false and shows up in `/persons/collection` as
    /// changed. Deleting a deleted person answers the same again ⚠.
    func delete(_ request: HTTPTestRequest) -> HTTPTestResponse {
        if let denied = authorize(request, .write) { return denied }
        let now = clock.now
        guard let id = request.pathParameters["id"].flatMap({ Int($0) }),
            dataset.withLock({ $0.softDelete(id, now: now) }) != nil
        else { return PipedriveJSON.error(404, "Person not found") }
        return .jsonObject(["success": true, "data": ["id": id]])
    }

    // MARK: - Request bodies

    /// The body as a JSON object, or form fields as strings; nil when it is neither.
    static func body(_ request: HTTPTestRequest) -> [String: Any]? {
        if request.hasFormBody {
            var fields: [String: Any] = [:]
            for item in FormParameters(body: request.body).items { fields[item.name] = item.value }
            return fields
        }
        return request.jsonObject
    }

    /// Copies the fields present in `body` into `person`; an answer when one is malformed.
    private func apply(_ body: [String: Any], to person: inout PipedrivePerson) -> HTTPTestResponse? {
        if let name = body["name"] {
            guard let name = name as? String else { return PipedriveJSON.error(400, "name must be a string") }
            person.name = name
        }
        for key in ["phone", "email"] where body[key] != nil {
            guard let fields = Self.fields(body[key]) else { return PipedriveJSON.error(400, "Invalid \(key) field") }
            if key == "phone" { person.phones = fields } else { person.emails = fields }
        }
        if let value = body["org_id"] {
            guard value is NSNull || Self.integer(value) != nil else { return PipedriveJSON.error(400, "Invalid org_id") }
            person.orgID = Self.integer(value)
        }
        if let value = body["owner_id"] {
            guard let owner = Self.integer(value), dataset.withLock({ $0.users[owner] }) != nil else {
                return PipedriveJSON.error(400, "Invalid owner_id")
            }
            person.ownerID = owner
        }
        if let value = body["visible_to"] {
            guard let visibleTo = Self.integer(value) else { return PipedriveJSON.error(400, "Invalid visible_to") }
            person.visibleTo = String(visibleTo)
        }
        return nil
    }

    /// Pipedrive accepts a string, an array of strings, or `[{"value","primary","label"}]`;
    /// null clears. The first entry becomes primary when none is.
    private static func fields(_ value: Any?) -> [PipedrivePerson.Field]? {
        guard let value else { return nil }
        let entries: [Any]
        switch value {
        case is NSNull: return []
        case let text as String: entries = text.isEmpty ? [] : [text]
        case let array as [Any]: entries = array
        default: return nil
        }
        var fields: [PipedrivePerson.Field] = []
        for entry in entries {
            if let text = entry as? String {
                fields.append(.init(text, primary: false))
            } else if let object = entry as? [String: Any], let text = object["value"] as? String {
                let primary = (object["primary"] as? Bool) ?? ["true", "1"].contains("\(object["primary"] ?? "")")
                fields.append(.init(text, primary: primary, label: object["label"] as? String ?? "work"))
            } else {
                return nil
            }
        }
        fields.removeAll { $0.value.isEmpty }
        if !fields.isEmpty, !fields.contains(where: \.primary) { fields[0].primary = true }
        return fields
    }

    private static func integer(_ value: Any?) -> Int? {
        switch value {
        case let number as Int: number
        case let text as String: Int(text)
        default: nil
        }
    }

    private static func personResponse(
        _ person: PipedrivePerson, _ context: PipedriveJSON.Context, status: Int
    ) -> HTTPTestResponse {
        .encoded(
            PipedriveJSON.Envelope(
                data: PipedriveJSON.Person(person: person, context: context),
                additionalData: PipedriveJSON.NoAdditionalData?.none),
            status: status)
    }
}
