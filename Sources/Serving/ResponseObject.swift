import Foundation

/// A `response` object of the Responses API: a reasoning item (the thinking as `reasoning_text`,
/// unless the server hides it) and an assistant message with the answer as `output_text`.
struct ResponseObject: Encodable {
    /// An output item: `reasoning` or `message`.
    struct Item: Encodable {
        var id: String
        var type: String
        var status: String
        var text: String

        enum CodingKeys: String, CodingKey { case id, type, status, role, content, summary }
        enum PartKeys: String, CodingKey { case type, text, annotations, logprobs }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(type, forKey: .type)
            try c.encode(status, forKey: .status)
            var content = c.nestedUnkeyedContainer(forKey: .content)
            var part = content.nestedContainer(keyedBy: PartKeys.self)
            if type == "reasoning" {
                try c.encode([String](), forKey: .summary)
                try part.encode("reasoning_text", forKey: .type)
                try part.encode(text, forKey: .text)
            } else {
                try c.encode("assistant", forKey: .role)
                try part.encode("output_text", forKey: .type)
                try part.encode(text, forKey: .text)
                try part.encode([String](), forKey: .annotations)
                try part.encode([String](), forKey: .logprobs)
            }
        }

        /// The content part alone, for the `content_part` stream events.
        static func outputText(_ text: String) -> [String: Any] {
            ["type": "output_text", "text": text, "annotations": [Any](), "logprobs": [Any]()]
        }
    }

    var id: String
    var createdAt: Int
    var model: String
    var status: String
    var output: [Item]
    var usage: Usage?
    var effort: ChatRequest.Effort
    var maxOutputTokens: Int?
    var temperature: Float
    var topP: Float

    enum CodingKeys: String, CodingKey {
        case id, object, createdAt = "created_at", model, status, output, usage, reasoning, error
        case incompleteDetails = "incomplete_details", maxOutputTokens = "max_output_tokens", temperature
        case topP = "top_p", tools, toolChoice = "tool_choice", parallelToolCalls = "parallel_tool_calls", text
        case instructions, metadata, store, truncation
    }
    enum UsageKeys: String, CodingKey {
        case inputTokens = "input_tokens", inputDetails = "input_tokens_details", outputTokens = "output_tokens"
        case outputDetails = "output_tokens_details", totalTokens = "total_tokens"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode("response", forKey: .object)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(model, forKey: .model)
        try c.encode(status, forKey: .status)
        try c.encode(output, forKey: .output)
        try c.encodeNil(forKey: .error)
        if status == "incomplete" {
            try c.encode(["reason": "max_output_tokens"], forKey: .incompleteDetails)
        } else {
            try c.encodeNil(forKey: .incompleteDetails)
        }
        try c.encode(["effort": effort.rawValue], forKey: .reasoning)
        try c.encode(maxOutputTokens, forKey: .maxOutputTokens)
        try c.encode(temperature, forKey: .temperature)
        try c.encode(topP, forKey: .topP)
        try c.encode([String](), forKey: .tools)
        try c.encode("none", forKey: .toolChoice)
        try c.encode(false, forKey: .parallelToolCalls)
        try c.encode(["format": ["type": "text"]], forKey: .text)
        try c.encodeNil(forKey: .instructions)
        try c.encode([String: String](), forKey: .metadata)
        try c.encode(false, forKey: .store)
        try c.encode("disabled", forKey: .truncation)
        if let usage {
            var u = c.nestedContainer(keyedBy: UsageKeys.self, forKey: .usage)
            try u.encode(usage.promptTokens, forKey: .inputTokens)
            try u.encode(["cached_tokens": 0], forKey: .inputDetails)
            try u.encode(usage.completionTokens, forKey: .outputTokens)
            try u.encode(["reasoning_tokens": usage.reasoningTokens], forKey: .outputDetails)
            try u.encode(usage.totalTokens, forKey: .totalTokens)
        } else {
            try c.encodeNil(forKey: .usage)
        }
    }
}
