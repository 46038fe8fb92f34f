import Foundation

/// A validated `POST /v1/responses` body, read as the chat request it amounts to: `instructions`
/// and `input` (a string, or messages whose content is a string or `input_text`/`output_text`
/// parts; earlier `reasoning` items are dropped, as a thinking model's template drops earlier
/// turns' thinking) become the messages; `max_output_tokens` the completion limit; `reasoning`,
/// sampling and `thinking_token_budget` pass through. Nothing is stored, so `previous_response_id`
/// and `background` are refused by name, as are tools and non-text formats.
struct ResponsesRequest {
    var chat: ChatRequest

    /// The chat fields a Responses body shares, by the same names.
    static let sharedFields = ["model", "stream", "temperature", "top_p", "top_k", "seed", "reasoning", "thinking_token_budget",
                               "tools", "tool_choice", "presence_penalty", "frequency_penalty", "logit_bias", "top_logprobs"]

    static func parse(_ data: Data) throws(APIError) -> ResponsesRequest {
        guard case .object(let body) = try JSONValue.parse(data) else {
            throw .invalid(nil, "The request body must be a JSON object.")
        }
        for key in ["previous_response_id", "conversation"] where body[key] != nil && body[key] != .null {
            throw unsupported(key, "responses are not stored; send the whole conversation in 'input'")
        }
        if body["background"] == .bool(true) { throw unsupported("background", "responses are generated while you wait") }
        if case .object(let text)? = body["text"], let format = text["format"], format != .null,
           format != .object(["type": .string("text")]) {
            throw unsupported("text.format", "only plain text answers are produced")
        }
        var messages: [JSONValue] = []
        switch body["instructions"] {
        case nil, .null?: break
        case .string(let s)?: messages.append(message("system", s))
        case let other?: throw .invalid("instructions", "'instructions' must be a string, not \(other.kind).", code: "invalid_type")
        }
        messages += try input(body["input"])
        var object = body.filter { sharedFields.contains($0.key) }
        object["messages"] = .array(messages)
        if let limit = body["max_output_tokens"], limit != .null {
            guard case .integer(let n) = limit, (1...1_000_000).contains(n) else {
                throw .invalid("max_output_tokens", "'max_output_tokens' must be an integer between 1 and 1000000.")
            }
            object["max_completion_tokens"] = limit
        }
        return ResponsesRequest(chat: try ChatRequest.parse(object: object))
    }

    private static func unsupported(_ param: String, _ why: String) -> APIError {
        .invalid(param, "Unsupported parameter: '\(param)': \(why).", code: "unsupported_parameter")
    }

    private static func message(_ role: String, _ text: String) -> JSONValue {
        .object(["role": .string(role), "content": .string(text)])
    }

    /// `input` as chat messages.
    private static func input(_ value: JSONValue?) throws(APIError) -> [JSONValue] {
        switch value {
        case .string(let s)?: return [message("user", s)]
        case .array(let items)?:
            var result: [JSONValue] = []
            for (i, item) in items.enumerated() {
                let path = "input[\(i)]"
                guard case .object(let o) = item else { throw .invalid(path, "'\(path)' must be an object.", code: "invalid_type") }
                let type = o["type"].flatMap { if case .string(let t) = $0 { t } else { nil } } ?? "message"
                if type == "reasoning" { continue }
                guard type == "message", case .string(let role)? = o["role"] else {
                    throw .invalid(path, "'\(path)' must be a message with a role; items of type '\(type)' are not supported.")
                }
                result.append(.object(["role": .string(role), "content": try text(o["content"], path: "\(path).content")]))
            }
            guard !result.isEmpty else { throw .invalid("input", "'input' holds no message.", code: "empty_array") }
            return result
        case nil, .null?: throw .invalid("input", "You must provide 'input'.", code: "missing_required_parameter")
        case let other?: throw .invalid("input", "'input' must be a string or an array of messages, not \(other.kind).", code: "invalid_type")
        }
    }

    /// A message's content: a string, or `input_text`/`output_text`/`text` parts joined.
    private static func text(_ value: JSONValue?, path: String) throws(APIError) -> JSONValue {
        switch value {
        case .string?: return value!
        case .array(let parts)?:
            var text = ""
            for part in parts {
                guard case .object(let p) = part, case .string(let type)? = p["type"],
                      ["input_text", "output_text", "text"].contains(type), case .string(let t)? = p["text"] else {
                    throw .invalid(path, "'\(path)' parts must be input_text or output_text; only text is supported.")
                }
                text += t
            }
            return .string(text)
        default: throw .invalid(path, "'\(path)' must be a string or an array of text parts.")
        }
    }
}
