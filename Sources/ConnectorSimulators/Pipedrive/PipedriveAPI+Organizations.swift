import HTTPTestServer

/// Organisations by name (a connector finds or makes a person's company) and the
/// connected user (`interfaces.test`): Pipedrive v1 `GET /organizations/search`,
/// `POST /organizations`, `GET /users/me`.
extension PipedriveAPI {
    func installOrganizationsAndUsers(on server: HTTPTestServer) {
        for prefix in ["/v1", "/api/v1"] {
            server.route("GET", prefix + "/organizations/search") { [self] in serveAPI($0, searchOrganizations) }
            server.route("POST", prefix + "/organizations") { [self] in serveAPI($0, createOrganization) }
            server.route("GET", prefix + "/users/me") { [self] in serveAPI($0, me) }
        }
    }

    /// `GET /organizations/search?term=&exact_match=&limit=`: name matches, as
    /// `{"items":[{"result_score":…,"item":{"id","type":"organization","name","address"}}]}`.
    /// Exact: the whole name, case-insensitive; otherwise a substring (term of 2+ characters).
    private func searchOrganizations(_ request: HTTPTestRequest) -> HTTPTestResponse {
        if let denied = authorize(request, .read) { return denied }
        let parameters = request.parameters
        let term = (parameters["term"] ?? "").lowercased()
        let exact = parameters["exact_match"] == "true" || parameters["exact_match"] == "1"
        guard term.count >= (exact ? 1 : 2) else { return PipedriveJSON.error(400, "Term must be at least 2 characters long") }
        let limit = min(Int(parameters["limit"] ?? "") ?? 100, 500)
        let hits = dataset.withLock { dataset in
            dataset.organizations.values
                .filter { $0.isActive && (exact ? $0.name.lowercased() == term : $0.name.lowercased().contains(term)) }
                .sorted { $0.id < $1.id }
        }
        let items: [[String: Any]] = hits.prefix(limit).map { organization in
            [
                "result_score": exact ? 1.0 : 0.5,
                "item": ["id": organization.id, "type": "organization", "name": organization.name, "address": organization.address as Any],
            ]
        }
        return .jsonObject([
            "success": true, "data": ["items": items],
            "additional_data": ["pagination": ["start": 0, "limit": limit, "more_items_in_collection": hits.count > limit]],
        ])
    }

    /// `POST /organizations {name, address?}`.
    private func createOrganization(_ request: HTTPTestRequest) -> HTTPTestResponse {
        if let denied = authorize(request, .write) { return denied }
        guard let body = Self.body(request), let name = (body["name"] as? String)?.trimmingCharacters(in: .whitespaces), !name.isEmpty else {
            return PipedriveJSON.error(400, "Name must be given.")
        }
        let now = clock.now
        let (organization, context) = dataset.withLock { dataset in
            let id = dataset.addOrganization(PipedriveOrganization(name: name, address: body["address"] as? String), now: now)
            return (dataset.organizations[id]!, self.context(dataset))
        }
        var response = HTTPTestResponse.encoded(PipedriveJSON.Envelope(
            data: PipedriveJSON.Organization(organization: organization, context: context), additionalData: PipedriveJSON.NoAdditionalData?.none))
        response.status = 201
        return response
    }

    /// `GET /users/me`: the token's user and company.
    private func me(_ request: HTTPTestRequest) -> HTTPTestResponse {
        if let denied = authorize(request, .read) { return denied }
        let user = dataset.withLock { $0.users.values.min { $0.id < $1.id } }
        return .jsonObject([
            "success": true,
            "data": [
                "id": user?.id ?? 1, "name": user?.name ?? "", "email": user?.email ?? "",
                "company_id": 1, "company_name": "Simulated Company", "company_domain": "simulated",
            ] as [String: Any],
        ])
    }
}
