import JSONRPC
import Logging
import SwitchboardConnectors
import SwitchboardCore

/// The one place where domain errors become protocol errors.
enum ErrorMapping {
    static func rpcError(_ error: any Error, method: String, logger: Logger) -> RPCError {
        if let error = error as? SwitchboardError {
            var data = JSONObject()
            if let field = error.field { data.append("field", .string(field)) }
            for (key, value) in error.details.sorted(by: { $0.key < $1.key }) { data.append(key, .string(value)) }
            let payload: JSONValue? = data.isEmpty ? nil : .object(data)
            switch error.kind {
            case .unauthenticated: return RPCError(.unauthenticated, "Unauthenticated: \(error.message)", data: payload)
            case .forbidden: return RPCError(.forbidden, "Forbidden: \(error.message)", data: payload)
            case .notFound: return RPCError(.notFound, "Not found: \(error.message)", data: payload)
            case .conflict: return RPCError(.conflict, "Conflict: \(error.message)", data: payload)
            case .validation: return RPCError(.validationFailed, "Validation failed: \(error.message)", data: payload)
            case .storageFull:
                // Said plainly (it is the operator's to fix, and no internal detail), and logged.
                logger.error("storage full: a write failed", metadata: ["method": .string(method)])
                return RPCError(.internalError, "Internal error: \(error.message); nothing was written", data: ["reason": "storageFull"])
            }
        }
        if let error = error as? ConnectorError {
            // An external system said no: its name, HTTP status and own words go to the caller verbatim.
            var data = JSONObject()
            if let system = error.system { data.append("system", .string(system)) }
            if let status = error.status { data.append("status", .int(Int64(status))) }
            if let said = error.systemMessage { data.append("message", .string(said)) }
            data.append("problem", .string(error.kind.rawValue))
            if let field = error.field { data.append("field", .string("settings." + field)) }
            let code: RPCError.Code = error.kind == .unauthorized ? .upstreamCredentials : .upstreamError
            return RPCError(code, error.message, data: .object(data))
        }
        if error is CancellationError { return RPCError(.timedOut, "Request cancelled", data: ["method": .string(method)]) }
        // Unexpected: log the detail, never send it.
        logger.error("internal error", metadata: ["method": .string(method), "error": .string(String(describing: error))])
        return .internalError
    }
}
