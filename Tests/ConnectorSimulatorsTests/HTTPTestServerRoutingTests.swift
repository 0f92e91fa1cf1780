import Foundation
import HTTPTestServer
import Testing

/// The path-parameter routes and the fallback handler the simulators are built on.
@Suite("HTTPTestServer routing")
struct HTTPTestServerRoutingTests {
    @Test("a {param} segment matches one segment; the value is percent-decoded and recorded")
    func pathParameters() async throws {
        let server = try await HTTPTestServer.start()
        server.route("GET", "/v2/contacts/{id}/numbers/{n}") { request in
            .text("\(request.pathParameters["id"] ?? "-")|\(request.pathParameters["n"] ?? "-")")
        }
        let hit = try await HTTP.get("\(server.baseURL)/v2/contacts/a%20b%2Fc/numbers/%2B49?x=1")
        #expect(hit.status == 200)
        #expect(hit.text == "a b/c|+49")
        let recorded = try #require(server.requests.last)
        #expect(recorded.path == "/v2/contacts/a%20b%2Fc/numbers/%2B49")
        #expect(recorded.query == "x=1")
        #expect(recorded.pathParameters == ["id": "a b/c", "n": "+49"])

        // Too few or too many segments, or an empty one, do not match.
        for path in ["/v2/contacts/1/numbers", "/v2/contacts/1/numbers/2/3", "/v2/contacts//numbers/2"] {
            let miss = try await HTTP.get(server.baseURL + path)
            #expect(miss.status == 404, "\(path)")
            #expect(miss.text == "not found: \(path)")
        }
        try await server.shutdown()
    }

    @Test("exact routes win over patterns; patterns match by method and in routing order")
    func precedence() async throws {
        let server = try await HTTPTestServer.start()
        server.route("GET", "/v1/persons/{id}") { request in .text("person \(request.pathParameters["id"] ?? "")") }
        server.route("GET", "/v1/persons/search") { _ in .text("search") }
        server.route("GET", "/v1/{anything}/{id}") { _ in .text("catch-all") }
        server.route("DELETE", "/v1/persons/{id}") { request in .text("deleted \(request.pathParameters["id"] ?? "")") }

        #expect(try await HTTP.get("\(server.baseURL)/v1/persons/search").text == "search")
        #expect(try await HTTP.get("\(server.baseURL)/v1/persons/7").text == "person 7")
        #expect(try await HTTP.get("\(server.baseURL)/v1/deals/7").text == "catch-all")
        #expect(try await HTTP.send("DELETE", "\(server.baseURL)/v1/persons/7").text == "deleted 7")
        #expect(try await HTTP.send("PUT", "\(server.baseURL)/v1/persons/7").status == 404)
        #expect(server.requests.map(\.pathParameters) == [[:], ["id": "7"], ["anything": "deals", "id": "7"], ["id": "7"], [:]])

        // Routing the same pattern again replaces its handler in place (still before the catch-all).
        server.route("GET", "/v1/persons/{id}") { _ in .text("replaced") }
        #expect(try await HTTP.get("\(server.baseURL)/v1/persons/7").text == "replaced")
        try await server.shutdown()
    }

    @Test("HEAD falls back to a GET pattern without the body")
    func headOnPattern() async throws {
        let server = try await HTTPTestServer.start()
        server.route("GET", "/files/{name}") { request in .text("file \(request.pathParameters["name"] ?? "")") }
        let head = try await HTTP.send("HEAD", "\(server.baseURL)/files/a.csv")
        #expect(head.status == 200)
        #expect(head.headers["content-length"] == "10")
        #expect(head.body.isEmpty)
        try await server.shutdown()
    }

    @Test("the fallback answers what no route matches; without one, 404 as before")
    func fallback() async throws {
        let server = try await HTTPTestServer.start()
        server.route("GET", "/known") { _ in .text("known") }
        #expect(try await HTTP.get("\(server.baseURL)/unknown").text == "not found: /unknown")

        server.fallback { request in .json(#"{"error":"no route for \#(request.method) \#(request.path)"}"#, status: 404) }
        let missing = try await HTTP.send("POST", "\(server.baseURL)/unknown?x=1")
        #expect(missing.status == 404)
        #expect(missing.headers["content-type"] == "application/json")
        #expect(missing.text == #"{"error":"no route for POST /unknown"}"#)
        #expect(try await HTTP.get("\(server.baseURL)/known").text == "known")

        server.fallback { _ in .text("second", status: 410) }
        #expect(try await HTTP.get("\(server.baseURL)/unknown").status == 410)
        try await server.shutdown()
    }
}
