import Foundation
import Hummingbird
import NIOCore

/// `POST /v1/responses`: the Responses API over the same `ChatSession` as chat completions, as
/// one `response` object or as its stream of typed events (`response.created`, output items and
/// content parts opened and closed, `response.reasoning_text.delta`, `response.output_text.delta`,
/// then `response.completed` or `response.incomplete`).
struct ResponsesController {
    let configuration: ServerConfiguration
    let host: ModelHost
    let metrics: ServerMetrics

    func addRoutes(to group: RouterGroup<ServerContext>) {
        group.generating("/v1/responses", metrics: metrics, respond: respond)
    }

    @Sendable private func respond(to request: Request, context: ServerContext, start: Date) async throws -> Response {
        let body = try await ChatCompletionsController.jsonBody(request, limit: configuration.maxBodyBytes)
        let chat = try ResponsesRequest.parse(body).chat
        let options = configuration.options
        guard chat.model == options.modelName else { throw APIError.modelNotFound(chat.model) }
        let session = ChatSession(request: chat, options: options, scheduler: try host.scheduler(), arrived: start)
        try session.start()
        context.channel.closeFuture.whenComplete { _ in session.cancel() }
        let draft = Draft(request: chat, hide: options.hideReasoning)
        return chat.stream ? streamed(session, draft: draft, start: start) : try await plain(session, draft: draft, start: start)
    }

    /// The response as it is built: ids fixed up front, text gathered from the session's outputs.
    struct Draft {
        let id = "resp_" + Self.hex(), reasoningID = "rs_" + Self.hex(), messageID = "msg_" + Self.hex()
        let created = Int(Date().timeIntervalSince1970)
        let request: ChatRequest
        let hide: Bool
        var reasoning = "", answer = "", finish = "stop"

        static func hex() -> String { UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") }

        var status: String { finish == "length" ? "incomplete" : "completed" }
        var reasoningItem: ResponseObject.Item { .init(id: reasoningID, type: "reasoning", status: "completed", text: reasoning) }
        var messageItem: ResponseObject.Item { .init(id: messageID, type: "message", status: status, text: answer) }

        func object(status: String? = nil, usage: Usage? = nil, output: [ResponseObject.Item]? = nil) -> ResponseObject {
            ResponseObject(id: id, createdAt: created, model: request.model, status: status ?? self.status,
                           output: output ?? ((hide ? [] : [reasoningItem]) + [messageItem]), usage: usage,
                           effort: request.effort, maxOutputTokens: request.maxCompletionTokens,
                           temperature: request.temperature, topP: request.topP)
        }
    }

    private func plain(_ session: ChatSession, draft: Draft, start: Date) async throws -> Response {
        var draft = draft
        let usage = try await session.run { output in
            switch output {
            case .delta(_, .reasoning(let text)): draft.reasoning += text
            case .delta(_, .content(let text)): draft.answer += text
            case .logprob: break
            case .finish(_, let reason): draft.finish = reason
            }
        }
        metrics.record(usage, timing: session.timing)
        metrics.record(status: 200, seconds: Date().timeIntervalSince(start))
        return json(try Self.encoder.encode(draft.object(usage: usage)))
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        return e
    }()

    /// An encodable value as JSONSerialization's objects, to sit inside an event.
    static func plainObject(_ value: some Encodable) -> Any {
        (try? JSONSerialization.jsonObject(with: encoder.encode(value))) ?? [:]
    }

    private func streamed(_ session: ChatSession, draft: Draft, start: Date) -> Response {
        let metrics = metrics
        let body = ResponseBody { writer in
            var draft = draft
            var sequence = 0
            /// Which output item is open: none yet, the reasoning item (0), the message (last).
            var openItem: String?
            func send(_ type: String, _ fields: [String: Any]) async throws {
                var event = fields
                event["type"] = type
                event["sequence_number"] = sequence
                sequence += 1
                let data = try JSONSerialization.data(withJSONObject: event, options: [.withoutEscapingSlashes])
                try await writer.write(ByteBuffer(bytes: Data("event: \(type)\ndata: ".utf8) + data + Data("\n\n".utf8)))
            }
            func item(_ item: ResponseObject.Item, index: Int, done: Bool) -> [String: Any] {
                var object = Self.plainObject(item) as? [String: Any] ?? [:]
                if !done {
                    object["status"] = "in_progress"
                    object["content"] = [Any]()
                }
                return ["output_index": index, "item": object]
            }
            let messageIndex = draft.hide ? 0 : 1
            func closeReasoning() async throws {
                guard openItem == "reasoning" else { return }
                let at: [String: Any] = ["item_id": draft.reasoningID, "output_index": 0, "content_index": 0]
                try await send("response.reasoning_text.done", at.merging(["text": draft.reasoning]) { $1 })
                try await send("response.output_item.done", item(draft.reasoningItem, index: 0, done: true))
                openItem = nil
            }
            func openMessage() async throws {
                guard openItem != "message" else { return }
                try await closeReasoning()
                if !draft.hide && draft.reasoning.isEmpty {
                    // No thinking came: the reasoning item still stands, empty, before the message.
                    try await send("response.output_item.added", item(draft.reasoningItem, index: 0, done: false))
                    try await send("response.output_item.done", item(draft.reasoningItem, index: 0, done: true))
                }
                openItem = "message"
                try await send("response.output_item.added", item(draft.messageItem, index: messageIndex, done: false))
                try await send("response.content_part.added", ["item_id": draft.messageID, "output_index": messageIndex,
                                                              "content_index": 0, "part": ResponseObject.Item.outputText("")])
            }
            do {
                let created = Self.plainObject(draft.object(status: "in_progress", output: []))
                try await send("response.created", ["response": created])
                try await send("response.in_progress", ["response": created])
                let usage = try await session.run { output in
                    switch output {
                    case .delta(_, .reasoning(let text)):
                        guard !draft.hide else { return }
                        if openItem == nil {
                            openItem = "reasoning"
                            try await send("response.output_item.added", item(draft.reasoningItem, index: 0, done: false))
                        }
                        draft.reasoning += text
                        try await send("response.reasoning_text.delta", ["item_id": draft.reasoningID, "output_index": 0,
                                                                         "content_index": 0, "delta": text])
                    case .delta(_, .content(let text)):
                        try await openMessage()
                        draft.answer += text
                        try await send("response.output_text.delta", ["item_id": draft.messageID, "output_index": messageIndex,
                                                                      "content_index": 0, "delta": text, "logprobs": [Any]()])
                    case .logprob: break
                    case .finish(_, let reason): draft.finish = reason
                    }
                }
                try await openMessage()
                let at: [String: Any] = ["item_id": draft.messageID, "output_index": messageIndex, "content_index": 0]
                try await send("response.output_text.done", at.merging(["text": draft.answer, "logprobs": [Any]()]) { $1 })
                try await send("response.content_part.done", at.merging(["part": ResponseObject.Item.outputText(draft.answer)]) { $1 })
                try await send("response.output_item.done", item(draft.messageItem, index: messageIndex, done: true))
                try await send(draft.status == "completed" ? "response.completed" : "response.incomplete",
                               ["response": Self.plainObject(draft.object(usage: usage))])
                try await writer.finish(nil)
                metrics.record(usage, timing: session.timing)
                metrics.record(status: 200, seconds: Date().timeIntervalSince(start))
            } catch {
                session.cancel()
                let failure = error as? APIError ?? APIError.server("the request was cancelled")
                metrics.record(status: error is APIError ? failure.status : 499, seconds: Date().timeIntervalSince(start))
                try? await send("error", ["code": failure.code ?? failure.type, "message": failure.message, "param": failure.param as Any])
                try? await writer.finish(nil)
            }
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }
}
