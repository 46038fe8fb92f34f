import Foundation

/// `usage` of a completion; `completion_tokens` includes the reasoning tokens, as OpenAI's does.
struct Usage: Encodable, Equatable {
    struct Details: Encodable, Equatable {
        var reasoningTokens: Int
        enum CodingKeys: String, CodingKey { case reasoningTokens = "reasoning_tokens" }
    }
    var promptTokens: Int
    var completionTokens: Int
    var totalTokens: Int { promptTokens + completionTokens }
    var reasoningTokens: Int

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
        case details = "completion_tokens_details"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(promptTokens, forKey: .promptTokens)
        try c.encode(completionTokens, forKey: .completionTokens)
        try c.encode(totalTokens, forKey: .totalTokens)
        try c.encode(Details(reasoningTokens: reasoningTokens), forKey: .details)
    }
}

/// The message of a choice, or the delta of a streamed chunk (fields present only when set).
/// The thinking goes out twice, as `reasoning_content` (DeepSeek's name) and `reasoning` (vLLM's,
/// Ollama's and OpenRouter's), so clients of either convention find it.
struct MessageBody: Encodable, Equatable {
    var role: String?
    var content: String?
    var reasoningContent: String?
    enum CodingKeys: String, CodingKey { case role, content, reasoningContent = "reasoning_content", reasoning }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(role, forKey: .role)
        try c.encodeIfPresent(content, forKey: .content)
        try c.encodeIfPresent(reasoningContent, forKey: .reasoningContent)
        try c.encodeIfPresent(reasoningContent, forKey: .reasoning)
    }
}

/// One answer token's log-probability, in OpenAI's `logprobs.content` shape, with the most
/// likely tokens at its position when the request asked for `top_logprobs`.
struct TokenLogprob: Encodable, Equatable {
    /// One of the most likely tokens: `{token, logprob, bytes}`.
    struct Alternative: Encodable, Equatable {
        var token: String
        var logprob: Float
        var bytes: [UInt8]
    }

    var token: String
    var logprob: Float
    var bytes: [UInt8]
    var topLogprobs: [Alternative] = []
    enum CodingKeys: String, CodingKey { case token, logprob, bytes, topLogprobs = "top_logprobs" }
}

/// One choice of a completion (`message`) or of a chunk (`delta`); `logprobs` is null unless the
/// request asked for them.
struct Choice: Encodable {
    var index: Int
    var message: MessageBody?
    var delta: MessageBody?
    var finishReason: String?
    var logprobs: [TokenLogprob]?

    enum CodingKeys: String, CodingKey { case index, message, delta, finishReason = "finish_reason", logprobs }
    enum LogprobsKeys: String, CodingKey { case content }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encodeIfPresent(message, forKey: .message)
        try c.encodeIfPresent(delta, forKey: .delta)
        try c.encode(finishReason, forKey: .finishReason)  // explicit null while streaming
        if let logprobs {
            var l = c.nestedContainer(keyedBy: LogprobsKeys.self, forKey: .logprobs)
            try l.encode(logprobs, forKey: .content)
        } else {
            try c.encodeNil(forKey: .logprobs)
        }
    }
}

/// A `chat.completion` or one `chat.completion.chunk`.
struct ChatCompletion: Encodable {
    var id: String
    var object: String
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: Usage?

    func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }

    /// The chunk as one server-sent event.
    func event() -> Data { Data("data: ".utf8) + json() + Data("\n\n".utf8) }
}

/// `GET /v1/models`.
struct ModelList: Encodable {
    struct Entry: Encodable {
        var id: String
        var object = "model"
        var created: Int
        var ownedBy = "strawberry"
        /// Prompt and completion tokens together, once the model is loaded.
        var contextLength: Int?
        enum CodingKeys: String, CodingKey {
            case id, object, created, ownedBy = "owned_by", contextLength = "context_length", maxModelLength = "max_model_len"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(object, forKey: .object)
            try c.encode(created, forKey: .created)
            try c.encode(ownedBy, forKey: .ownedBy)
            try c.encodeIfPresent(contextLength, forKey: .contextLength)
            try c.encodeIfPresent(contextLength, forKey: .maxModelLength)
        }
    }
    var object = "list"
    var data: [Entry]
}
