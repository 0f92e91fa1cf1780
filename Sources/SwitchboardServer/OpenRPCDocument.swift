import JSONRPC

/// `protocol/openrpc.json`, embedded in the binary at build time.
public enum OpenRPCDocument {
    public static let bytes: [UInt8] = PackageResources.openrpc_json
    public static let value: JSONValue = {
        do {
            return try JSONParser.parse(bytes)
        } catch {
            fatalError("protocol/openrpc.json is not valid JSON: \(error)")  // caught by the test suite, never shipped
        }
    }()
}
