import Foundation
import Hummingbird

/// `POST /tokenize` and `POST /detokenize`, in vLLM's shapes: a `prompt` (as is) or `messages` (in
/// the model's chat format, ready for the reply) to token ids and back, so a client can count
/// tokens or budget a request before it sends it.
struct TokenizeController {
    let configuration: ServerConfiguration
    let host: ModelHost

    /// Most token ids `/detokenize` takes at once.
    static let maxTokens = 1 << 20

    func addRoutes(to group: RouterGroup<ServerContext>) {
        group.post("/tokenize") { request, _ in
            let body = try await object(request)
            let scheduler = try host.scheduler()
            let tokens: [Int32]
            if let messages = body["messages"], messages != .null {
                tokens = scheduler.vocabulary.prompt(conversation: try ChatRequest.messages(messages).map { ($0.role, $0.content) })
            } else if case .string(let prompt)? = body["prompt"] {
                tokens = scheduler.vocabulary.encode(prompt)
            } else {
                throw APIError.invalid("prompt", "Send 'prompt' (a string) or 'messages'.", code: "missing_required_parameter")
            }
            let reply: [String: Any] = ["tokens": tokens.map(Int.init), "count": tokens.count, "max_model_len": scheduler.contextLength]
            return json(try JSONSerialization.data(withJSONObject: reply, options: [.sortedKeys]))
        }
        group.post("/detokenize") { request, _ in
            let body = try await object(request)
            let scheduler = try host.scheduler()
            guard case .array(let items)? = body["tokens"] else {
                throw APIError.invalid("tokens", "Send 'tokens', an array of token ids.", code: "missing_required_parameter")
            }
            guard items.count <= Self.maxTokens else { throw APIError.invalid("tokens", "At most \(Self.maxTokens) tokens at once.") }
            let size = scheduler.vocabulary.size
            var tokens: [Int32] = []
            for (i, item) in items.enumerated() {
                guard case .integer(let id) = item, (0..<Int64(size)).contains(id) else {
                    throw APIError.invalid("tokens[\(i)]", "'tokens[\(i)]' must be a token id in 0..<\(size).")
                }
                tokens.append(Int32(id))
            }
            return json(try JSONSerialization.data(withJSONObject: ["prompt": scheduler.vocabulary.decode(tokens)]))
        }
        for path in ["/tokenize", "/detokenize"] { group.refuseOtherMethods(on: RouterPath(path), allowed: [.post]) }
    }

    /// The body as a JSON object naming the served model, or none.
    private func object(_ request: Request) async throws -> [String: JSONValue] {
        let data = try await ChatCompletionsController.jsonBody(request, limit: configuration.maxBodyBytes)
        guard case .object(let body) = try JSONValue.parse(data) else { throw APIError.invalid(nil, "The request body must be a JSON object.") }
        if case .string(let model)? = body["model"], model != configuration.options.modelName { throw APIError.modelNotFound(model) }
        return body
    }
}
