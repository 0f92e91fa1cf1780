import HTTPTestServer

/// Pipedrive's JSON shapes. Keys are written explicitly (null included) because Pipedrive
/// sends `"org_id":null`, `"delete_time":null`, `"next_cursor":null` rather than leaving keys out.
enum PipedriveJSON {
    /// What rendering a person needs beyond the person.
    struct Context: Sendable {
        var organizations: [Int: PipedriveOrganization]
        var users: [Int: PipedriveUser]
        var peopleCount: [Int: Int]
        /// Pipedrive's quirk ⚠: a person without phone (email) has `[{"value":"","primary":true}]`.
        var placeholderForEmptyFields: Bool
    }

    static let errorInfo = "Please check developers.pipedrive.com for more information about Pipedrive API."

    /// `{"success":false,"error":…,"errorCode":…,"error_info":…}`.
    static func error(_ status: Int, _ message: String) -> HTTPTestResponse {
        .jsonObject(["success": false, "error": message, "errorCode": status, "error_info": errorInfo], status: status)
    }

    /// `{"success":true,"data":…,"additional_data":…}`.
    struct Envelope<Data: Encodable, Additional: Encodable>: Encodable {
        var data: Data
        var additionalData: Additional?

        enum CodingKeys: String, CodingKey { case success, data, additional_data }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(true, forKey: .success)
            try container.encode(data, forKey: .data)
            if let additionalData { try container.encode(additionalData, forKey: .additional_data) }
        }
    }

    struct NoAdditionalData: Encodable {}

    /// `additional_data.pagination` of offset-paged lists; `next_start` only while there is more ⚠.
    struct Pagination: Encodable {
        var start: Int
        var limit: Int
        var more: Bool

        enum CodingKeys: String, CodingKey { case start, limit, more_items_in_collection, next_start }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(start, forKey: .start)
            try container.encode(limit, forKey: .limit)
            try container.encode(more, forKey: .more_items_in_collection)
            if more { try container.encode(start + limit, forKey: .next_start) }
        }
    }

    struct PaginationData: Encodable { var pagination: Pagination }

    /// `additional_data.next_cursor`: null at the end of the collection.
    struct CursorData: Encodable {
        var nextCursor: String?

        enum CodingKeys: String, CodingKey { case next_cursor }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(nextCursor, forKey: .next_cursor)
        }
    }

    struct Field: Encodable {
        var label: String?
        var value: String
        var primary: Bool
    }

    /// `owner_id` on `/persons` and `/organizations/{id}`.
    struct Owner: Encodable {
        var id: Int
        var name: String
        var email: String
        var has_pic = 0
        var pic_hash: String? = nil
        var active_flag = true
        var value: Int

        init(_ id: Int, _ users: [Int: PipedriveUser]) {
            self.id = id
            name = users[id]?.name ?? ""
            email = users[id]?.email ?? ""
            value = id
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(email, forKey: .email)
            try container.encode(has_pic, forKey: .has_pic)
            try container.encode(pic_hash, forKey: .pic_hash)
            try container.encode(active_flag, forKey: .active_flag)
            try container.encode(value, forKey: .value)
        }

        enum CodingKeys: String, CodingKey { case id, name, email, has_pic, pic_hash, active_flag, value }
    }

    /// `org_id` on `/persons` (RelationshipOrganizationInfoItemWithActiveFlag): `value` is the id.
    struct OrganizationRef: Encodable {
        var name: String
        var people_count: Int
        var owner_id: Int
        var address: String?
        var active_flag: Bool
        var cc_email: String
        var value: Int

        enum CodingKeys: String, CodingKey { case name, people_count, owner_id, address, active_flag, cc_email, value }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(people_count, forKey: .people_count)
            try container.encode(owner_id, forKey: .owner_id)
            try container.encode(address, forKey: .address)
            try container.encode(active_flag, forKey: .active_flag)
            try container.encode(cc_email, forKey: .cc_email)
            try container.encode(value, forKey: .value)
        }
    }

    static func fields(_ fields: [PipedrivePerson.Field], placeholder: Bool) -> [Field] {
        if fields.isEmpty { return placeholder ? [Field(label: nil, value: "", primary: true)] : [] }
        return fields.map { Field(label: $0.label, value: $0.value, primary: $0.primary) }
    }
}
