import Testing
@testable import JSONRPC

@Suite struct ParamsTests {
    let params = Params(["name": "Ann", "n": 5, "flag": true, "list": ["a", 1], "nested": ["x": "y"], "gone": nil])

    @Test func typedAccessorsNameTheField() throws {
        #expect(try params.string("name") == "Ann")
        #expect(try params.int("n", in: 1...10) == 5)
        #expect(try params.optionalString("gone") == nil)
        #expect(throws: RPCError.invalidParams(field: "n", "must be between 6 and 10")) { try params.int("n", in: 6...10) }
        #expect(throws: RPCError.invalidParams(field: "missing", "is required")) { try params.string("missing") }
        #expect(throws: RPCError.invalidParams(field: "name", "expected an integer, got a string")) { try params.int("name") }
        #expect(throws: RPCError.invalidParams(field: "list[1]", "expected a string, got a number")) { try params.optionalStringArray("list") }
        let nested = try #require(try params.optionalObject("nested"))
        #expect(throws: RPCError.invalidParams(field: "nested.z", "is required")) { try nested.string("z") }
    }

    @Test func unknownFieldsAreRejected() {
        #expect(throws: RPCError.self) { try params.expectOnly(["name"]) }
    }
}
