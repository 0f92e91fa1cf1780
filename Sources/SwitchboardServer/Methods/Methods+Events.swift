import JSONRPC
import SwitchboardCore

extension Methods {
    static func events(_ app: Application) -> [MethodSpec] {
        @Sendable func topics(_ params: Params) throws(RPCError) -> [String] {
            try params.expectOnly(["topics"])
            guard let topics = try params.optionalStringArray("topics", maxCount: 100), !topics.isEmpty else {
                throw .invalidParams(field: "topics", "is required (one or more of: \(EventBus.topics.keys.sorted().joined(separator: ", ")))")
            }
            for (i, topic) in topics.enumerated() where EventBus.topics[topic] == nil {
                throw .invalidParams(field: "topics[\(i)]", "unknown topic \"\(topic)\" (known: \(EventBus.topics.keys.sorted().joined(separator: ", ")))")
            }
            return topics
        }
        return [
            MethodSpec("events.subscribe", .anyRole, inline: .always) { params, call in
                let wanted = try topics(params)
                for topic in wanted where !(EventBus.topics[topic]?.access.allows(call.principal.role) ?? false) {
                    throw RPCError(
                        .forbidden, "Forbidden: topic \(topic) is not allowed for role \(call.principal.role.rawValue)",
                        data: ["topic": .string(topic), "role": .string(call.principal.role.rawValue)])
                }
                return ["topics": .array(call.session.subscribe(wanted).sorted().map(JSONValue.string))]
            },
            MethodSpec("events.unsubscribe", .anyRole, inline: .always) { params, call in
                ["topics": .array(call.session.unsubscribe(try topics(params)).sorted().map(JSONValue.string))]
            },
        ]
    }
}
