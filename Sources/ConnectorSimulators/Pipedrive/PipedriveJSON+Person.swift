extension PipedriveJSON {
    /// A person on `GET /persons`, `GET /persons/{id}`, `POST` and `PUT`: `owner_id` and `org_id`
    /// are objects (the id is their `value`), with `org_name` and `owner_name` beside them.
    struct Person: Encodable {
        var person: PipedrivePerson
        var context: Context

        enum CodingKeys: String, CodingKey {
            case id, company_id, owner_id, org_id, name, first_name, last_name, phone, email, primary_email
            case add_time, update_time, delete_time, visible_to, active_flag, org_name, owner_name, label
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            let organization = person.orgID.flatMap { context.organizations[$0] }
            try container.encode(person.id, forKey: .id)
            try container.encode(1, forKey: .company_id)
            try container.encode(Owner(person.ownerID, context.users), forKey: .owner_id)
            try container.encode(
                organization.map { organization in
                    OrganizationRef(
                        name: organization.name, people_count: context.peopleCount[organization.id] ?? 0,
                        owner_id: organization.ownerID, address: organization.address, active_flag: organization.isActive,
                        cc_email: "simulated@pipedrivemail.com", value: organization.id)
                },
                forKey: .org_id)
            try container.encode(person.name, forKey: .name)
            try container.encode(person.firstName, forKey: .first_name)
            try container.encode(person.lastName, forKey: .last_name)
            try container.encode(fields(person.phones, placeholder: context.placeholderForEmptyFields), forKey: .phone)
            try container.encode(fields(person.emails, placeholder: context.placeholderForEmptyFields), forKey: .email)
            try container.encode((person.emails.first { $0.primary } ?? person.emails.first)?.value, forKey: .primary_email)
            try container.encode(PipedriveTime.format(person.addTime), forKey: .add_time)
            try container.encode(PipedriveTime.format(person.updateTime), forKey: .update_time)
            try container.encode(person.deleteTime.map(PipedriveTime.format), forKey: .delete_time)
            try container.encode(person.visibleTo, forKey: .visible_to)
            try container.encode(person.isActive, forKey: .active_flag)
            try container.encode(organization?.name, forKey: .org_name)
            try container.encode(context.users[person.ownerID]?.name ?? "", forKey: .owner_name)
            try container.encode(Int?.none, forKey: .label)
        }
    }

    /// A person on `GET /persons/collection` (PersonsCollectionResponseObject): plain ids.
    struct CollectionPerson: Encodable {
        var person: PipedrivePerson

        enum CodingKeys: String, CodingKey {
            case id, active_flag, owner_id, org_id, name, email, phone, update_time, delete_time, add_time
            case visible_to, picture_id, label, label_ids
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(person.id, forKey: .id)
            try container.encode(person.isActive, forKey: .active_flag)
            try container.encode(person.ownerID, forKey: .owner_id)
            try container.encode(person.orgID, forKey: .org_id)
            try container.encode(person.name, forKey: .name)
            try container.encode(fields(person.emails, placeholder: false), forKey: .email)
            try container.encode(fields(person.phones, placeholder: false), forKey: .phone)
            try container.encode(PipedriveTime.format(person.updateTime), forKey: .update_time)
            try container.encode(person.deleteTime.map(PipedriveTime.format), forKey: .delete_time)
            try container.encode(PipedriveTime.format(person.addTime), forKey: .add_time)
            try container.encode(person.visibleTo, forKey: .visible_to)
            try container.encode(Int?.none, forKey: .picture_id)
            try container.encode(Int?.none, forKey: .label)
            try container.encode([Int](), forKey: .label_ids)
        }
    }

    /// One hit of `GET /persons/search`: `{"result_score":…,"item":{…}}` with `phones`/`emails`
    /// as plain strings and the organization as `{"id","name","address"}` or null ⚠.
    struct SearchHit: Encodable {
        var person: PipedrivePerson
        var score: Double
        var organization: PipedriveOrganization?

        enum CodingKeys: String, CodingKey { case result_score, item }
        enum ItemKeys: String, CodingKey {
            case id, type, name, phones, emails, visible_to, owner, organization, custom_fields, notes
        }
        enum ReferenceKeys: String, CodingKey { case id, name, address }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(score, forKey: .result_score)
            var item = container.nestedContainer(keyedBy: ItemKeys.self, forKey: .item)
            try item.encode(person.id, forKey: .id)
            try item.encode("person", forKey: .type)
            try item.encode(person.name, forKey: .name)
            try item.encode(person.phones.map(\.value), forKey: .phones)
            try item.encode(person.emails.map(\.value), forKey: .emails)
            try item.encode(Int(person.visibleTo) ?? 3, forKey: .visible_to)
            var owner = item.nestedContainer(keyedBy: ReferenceKeys.self, forKey: .owner)
            try owner.encode(person.ownerID, forKey: .id)
            if let organization {
                var reference = item.nestedContainer(keyedBy: ReferenceKeys.self, forKey: .organization)
                try reference.encode(organization.id, forKey: .id)
                try reference.encode(organization.name, forKey: .name)
                try reference.encode(organization.address, forKey: .address)
            } else {
                try item.encodeNil(forKey: .organization)
            }
            try item.encode([String](), forKey: .custom_fields)
            try item.encode([String](), forKey: .notes)
        }
    }

    /// `data` of `GET /persons/search`.
    struct SearchItems: Encodable { var items: [SearchHit] }

    /// `GET /organizations/{id}`.
    struct Organization: Encodable {
        var organization: PipedriveOrganization
        var context: Context

        enum CodingKeys: String, CodingKey {
            case id, company_id, owner_id, name, people_count, address, active_flag, cc_email, add_time, update_time
            case visible_to, label
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(organization.id, forKey: .id)
            try container.encode(1, forKey: .company_id)
            try container.encode(Owner(organization.ownerID, context.users), forKey: .owner_id)
            try container.encode(organization.name, forKey: .name)
            try container.encode(context.peopleCount[organization.id] ?? 0, forKey: .people_count)
            try container.encode(organization.address, forKey: .address)
            try container.encode(organization.isActive, forKey: .active_flag)
            try container.encode("simulated@pipedrivemail.com", forKey: .cc_email)
            try container.encode(PipedriveTime.format(organization.addTime), forKey: .add_time)
            try container.encode(PipedriveTime.format(organization.updateTime), forKey: .update_time)
            try container.encode("3", forKey: .visible_to)
            try container.encode(Int?.none, forKey: .label)
        }
    }
}
