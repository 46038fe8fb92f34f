import Foundation
import Model
import Reasoning

/// A validated `POST /v1/chat/completions` body. Unknown fields are ignored, as OpenAI's peers do;
/// a known field with the wrong type or an out-of-range value, or one this server cannot honour
/// (tools, a JSON response format, penalties), is a 400 naming it.
public struct ChatRequest: Sendable, Equatable {
    /// OpenAI's reasoning effort levels; `none` answers without thinking.
    public enum Effort: String, Sendable, CaseIterable {
        case none, minimal, low, medium, high, xhigh
    }

    public var model: String
    public var messages: [Message]
    public var stream = false
    public var includeUsage = false
    public var effort = Effort.medium
    /// An exact thinking budget in tokens (`thinking_token_budget`, vLLM's name, or
    /// `reasoning.max_tokens`); overrides the effort's budget but keeps its votes.
    public var thinkingBudget: Int?
    /// `max_completion_tokens` (or the older `max_tokens`): thinking and answer together.
    public var maxCompletionTokens: Int?
    public var n = 1
    public var seed: UInt64?
    public var temperature: Float = 1
    public var topP: Float = 1
    /// Keep only the `top_k` most likely tokens (0: all).
    public var topK = 0
    /// Return each answer token's log-probability (`logprobs`).
    public var logprobs = false
    /// And beside each, this many of the most likely tokens at its position (`top_logprobs`, 0–20).
    public var topLogprobs = 0
    public var stop: [String] = []

    /// One chat message; `developer` is read as `system`, a tool message is refused.
    public struct Message: Sendable, Equatable {
        public var role: ChatTemplate.Role
        public var content: String
    }

    /// Most choices per request.
    public static let maxChoices = 8

    /// The prompt tokens for the conversation in the model's chat format; `budgetLevel` is the
    /// budget line written under the last user message for a model that reads one (`BudgetTag`).
    public func promptTokens(in vocabulary: Vocabulary, budgetLevel: Int? = nil) -> [Int32] {
        let lastUser = messages.lastIndex { $0.role == .user }
        return vocabulary.prompt(conversation: messages.enumerated().map { i, m in
            (m.role, i == lastUser ? BudgetTag.tagged(m.content, level: budgetLevel) : m.content)
        })
    }

    public static func parse(_ data: Data) throws(APIError) -> ChatRequest {
        guard case .object(let body) = try JSONValue.parse(data) else {
            throw .invalid(nil, "The request body must be a JSON object.")
        }
        return try parse(object: body)
    }

    /// A request from its JSON object (the Responses API hands over its own, translated).
    static func parse(object body: [String: JSONValue]) throws(APIError) -> ChatRequest {
        guard let modelValue = body["model"], modelValue != .null else {
            throw .invalid("model", "You must provide a model parameter.", code: "missing_required_parameter")
        }
        guard case .string(let model) = modelValue else { throw wrongType("model", modelValue, "a string") }
        var request = ChatRequest(model: model, messages: try messages(body["messages"]))
        request.stream = try bool(body, "stream") ?? false
        if let options = body["stream_options"], options != .null {
            guard case .object(let o) = options else { throw wrongType("stream_options", options, "an object") }
            request.includeUsage = try bool(o, "include_usage", path: "stream_options.include_usage") ?? false
        }
        try refuseUnsupported(body)
        var reasoning: [String: JSONValue] = [:]
        if let value = body["reasoning"], value != .null {
            guard case .object(let o) = value else { throw wrongType("reasoning", value, "an object") }
            reasoning = o
        }
        var effortText = try string(body, "reasoning_effort")
        if effortText == nil { effortText = try string(reasoning, "effort", path: "reasoning.effort") }
        if let effort = effortText {
            guard let e = Effort(rawValue: effort) else {
                let param = body["reasoning_effort"] == nil ? "reasoning.effort" : "reasoning_effort"
                let levels = Effort.allCases.map(\.rawValue).joined(separator: ", ")
                throw .invalid(param, "'\(param)' must be one of \(levels); got '\(effort)'.")
            }
            request.effort = e
        }
        request.thinkingBudget = try integer(body, "thinking_token_budget", in: 0...1_000_000)
        if request.thinkingBudget == nil {
            request.thinkingBudget = try integer(reasoning, "max_tokens", in: 0...1_000_000, path: "reasoning.max_tokens")
        }
        let maxCompletion = try integer(body, "max_completion_tokens", in: 1...1_000_000)
        let maxTokens = try integer(body, "max_tokens", in: 1...1_000_000)
        request.maxCompletionTokens = maxCompletion ?? maxTokens
        request.n = try integer(body, "n", in: 1...maxChoices) ?? 1
        request.seed = try integer(body, "seed", in: Int.min...Int.max).map { UInt64(bitPattern: Int64($0)) }
        request.temperature = try number(body, "temperature", in: 0...2).map(Float.init) ?? 1
        request.topP = try number(body, "top_p", in: 0...1).map(Float.init) ?? 1
        if request.topP <= 0 { throw .invalid("top_p", "'top_p' must be greater than 0.") }
        request.topK = max(0, try integer(body, "top_k", in: -1...1_000_000) ?? 0)
        request.logprobs = try bool(body, "logprobs") ?? false
        request.topLogprobs = try integer(body, "top_logprobs", in: 0...GenerationRequest.maxTopLogprobs) ?? 0
        if request.topLogprobs > 0 && !request.logprobs {
            throw .invalid("top_logprobs", "'top_logprobs' needs 'logprobs' set to true.")
        }
        request.stop = try stops(body["stop"])
        return request
    }

    /// A 400 for a parameter this server cannot honour, instead of silently ignoring it.
    private static func unsupported(_ param: String, _ why: String) -> APIError {
        .invalid(param, "Unsupported parameter: '\(param)': \(why).", code: "unsupported_parameter")
    }

    /// Refuses parameters that would change the answer's meaning if ignored; neutral values
    /// (an empty tool list, `tool_choice: "none"`, a text response format, zero penalties) pass.
    private static func refuseUnsupported(_ body: [String: JSONValue]) throws(APIError) {
        func present(_ key: String) -> JSONValue? {
            guard let v = body[key], v != .null else { return nil }
            return v
        }
        for key in ["tools", "functions"] {
            if let v = present(key), v != .array([]) { throw unsupported(key, "this model does not call tools") }
        }
        for key in ["tool_choice", "function_call"] {
            if let v = present(key), v != .string("none") { throw unsupported(key, "this model does not call tools") }
        }
        if let v = present("response_format"), !(v == .object(["type": .string("text")])) {
            throw unsupported("response_format", "only plain text answers are produced")
        }
        for key in ["presence_penalty", "frequency_penalty"] {
            if let v = present(key), v.double != 0 { throw unsupported(key, "penalties are not applied") }
        }
        if let v = present("logit_bias"), v != .object([:]) { throw unsupported("logit_bias", "logit biases are not applied") }
        for key in ["audio", "prediction", "web_search_options"] where present(key) != nil {
            throw unsupported(key, "this server answers in text only")
        }
        if let v = present("modalities"), v != .array([.string("text")]) {
            throw unsupported("modalities", "this server answers in text only")
        }
    }

    private static func wrongType(_ param: String, _ value: JSONValue, _ expected: String) -> APIError {
        .invalid(param, "'\(param)' must be \(expected), not \(value.kind).", code: "invalid_type")
    }

    private static func bool(_ o: [String: JSONValue], _ key: String, path: String? = nil) throws(APIError) -> Bool? {
        guard let v = o[key], v != .null else { return nil }
        guard case .bool(let b) = v else { throw wrongType(path ?? key, v, "a boolean") }
        return b
    }

    private static func string(_ o: [String: JSONValue], _ key: String, path: String? = nil) throws(APIError) -> String? {
        guard let v = o[key], v != .null else { return nil }
        guard case .string(let s) = v else { throw wrongType(path ?? key, v, "a string") }
        return s
    }

    private static func number(_ o: [String: JSONValue], _ key: String, in range: ClosedRange<Double>) throws(APIError) -> Double? {
        guard let v = o[key], v != .null else { return nil }
        guard let x = v.double else { throw wrongType(key, v, "a number") }
        guard range.contains(x) else {
            throw .invalid(key, "'\(key)' must be between \(range.lowerBound) and \(range.upperBound); got \(x).")
        }
        return x
    }

    private static func integer(_ o: [String: JSONValue], _ key: String, in range: ClosedRange<Int>,
                                path: String? = nil) throws(APIError) -> Int? {
        guard let v = o[key], v != .null else { return nil }
        let name = path ?? key
        let value: Int
        switch v {
        case .integer(let i): value = Int(i)
        case .number(let x) where x == x.rounded() && abs(x) < 9.2e18: value = Int(x)
        default: throw wrongType(name, v, "an integer")
        }
        guard range.contains(value) else {
            throw .invalid(name, "'\(name)' must be between \(range.lowerBound) and \(range.upperBound); got \(value).")
        }
        return value
    }

    static func messages(_ value: JSONValue?) throws(APIError) -> [Message] {
        guard let value, value != .null else {
            throw .invalid("messages", "You must provide 'messages'.", code: "missing_required_parameter")
        }
        guard case .array(let items) = value else { throw wrongType("messages", value, "an array") }
        guard !items.isEmpty else { throw .invalid("messages", "'messages' must not be empty.", code: "empty_array") }
        var result: [Message] = []
        for (i, item) in items.enumerated() {
            let path = "messages[\(i)]"
            guard case .object(let m) = item else { throw wrongType(path, item, "an object") }
            guard case .string(let roleName)? = m["role"] else {
                throw .invalid("\(path).role", "'\(path).role' must be one of system, developer, user, assistant.")
            }
            let role: ChatTemplate.Role
            switch roleName {
            case "system", "developer": role = .system
            case "user": role = .user
            case "assistant": role = .assistant
            default:
                throw .invalid("\(path).role", "'\(path).role' must be one of system, developer, user, assistant; got '\(roleName)'.")
            }
            result.append(Message(role: role, content: try content(m["content"], path: "\(path).content")))
        }
        return result
    }

    /// A string, or an array of `{"type":"text","text":…}` parts joined together.
    private static func content(_ value: JSONValue?, path: String) throws(APIError) -> String {
        switch value {
        case .string(let s)?: return s
        case .array(let parts)?:
            var text = ""
            for part in parts {
                guard case .object(let p) = part, p["type"] == .string("text"), case .string(let t)? = p["text"] else {
                    throw .invalid(path, "'\(path)' parts must be {\"type\": \"text\", \"text\": …}; only text is supported.")
                }
                text += t
            }
            return text
        default:
            throw .invalid(path, "'\(path)' must be a string or an array of text parts.")
        }
    }

    private static func stops(_ value: JSONValue?) throws(APIError) -> [String] {
        switch value {
        case nil, .null?: return []
        case .string(let s)?: return s.isEmpty ? [] : [s]
        case .array(let items)?:
            guard items.count <= 4 else { throw .invalid("stop", "'stop' may hold at most 4 sequences.") }
            var result: [String] = []
            for item in items {
                guard case .string(let s) = item else { throw wrongType("stop", item, "a string or an array of strings") }
                if !s.isEmpty { result.append(s) }
            }
            return result
        case let other?: throw wrongType("stop", other, "a string or an array of strings")
        }
    }
}
