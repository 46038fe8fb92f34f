import Foundation
import Hummingbird
import NIOCore

/// `POST /v1/chat/completions`: a plain completion, or a stream of chunks ending in `[DONE]`.
/// Each request is a `ChatSession` over the scheduler; a client that goes away cancels it and is
/// counted as 499 (nginx's "client closed request").
struct ChatCompletionsController {
    let configuration: ServerConfiguration
    let host: ModelHost
    let metrics: ServerMetrics

    func addRoutes(to group: RouterGroup<ServerContext>) {
        group.generating("/v1/chat/completions", metrics: metrics, respond: respond)
    }

    /// The status a failed request is counted under.
    static func status(of error: any Error) -> Int {
        if let error = error as? APIError { return error.status }
        return error is CancellationError || error is ClientGone ? 499 : 500
    }

    @Sendable private func respond(to request: Request, context: ServerContext, start: Date) async throws -> Response {
        let chat = try ChatRequest.parse(try await Self.jsonBody(request, limit: configuration.maxBodyBytes))
        let options = configuration.options
        guard chat.model == options.modelName else { throw APIError.modelNotFound(chat.model) }
        let session = ChatSession(request: chat, options: options, scheduler: try host.scheduler(), arrived: start)
        try session.start()
        context.channel.closeFuture.whenComplete { _ in session.cancel() }
        let reply = Reply(id: "chatcmpl-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""),
                          created: Int(Date().timeIntervalSince1970), model: options.modelName)
        return chat.stream ? streamed(session, reply: reply, start: start) : try await plain(session, reply: reply, start: start)
    }

    /// Names every chunk and completion of one reply alike.
    struct Reply: Sendable {
        let id: String
        let created: Int
        let model: String

        func completion(_ object: String, _ choices: [Choice], usage: Usage? = nil) -> ChatCompletion {
            ChatCompletion(id: id, object: object, created: created, model: model, choices: choices, usage: usage)
        }
    }

    private func plain(_ session: ChatSession, reply: Reply, start: Date) async throws -> Response {
        let n = session.request.n
        var contents = Array(repeating: "", count: n)
        var reasonings = Array(repeating: "", count: n)
        var finishes = Array(repeating: "stop", count: n)
        var logprobs = Array(repeating: [TokenLogprob](), count: n)
        let usage = try await session.run { output in
            switch output {
            case .delta(let c, .content(let text)): contents[c] += text
            case .delta(let c, .reasoning(let text)): reasonings[c] += text
            case .logprob(let c, let entry): logprobs[c].append(entry)
            case .finish(let c, let reason): finishes[c] = reason
            }
        }
        let hide = configuration.options.hideReasoning
        let choices = (0..<n).map { c in
            Choice(index: c, message: MessageBody(role: "assistant", content: contents[c], reasoningContent: hide ? nil : reasonings[c]),
                   finishReason: finishes[c], logprobs: session.request.logprobs ? logprobs[c] : nil)
        }
        metrics.record(usage, timing: session.timing)
        metrics.record(status: 200, seconds: Date().timeIntervalSince(start))
        return json(reply.completion("chat.completion", choices, usage: usage).json())
    }

    private func streamed(_ session: ChatSession, reply: Reply, start: Date) -> Response {
        let metrics = metrics
        let hide = configuration.options.hideReasoning
        let chunk = "chat.completion.chunk"
        let body = ResponseBody { writer in
            func send(_ completion: ChatCompletion) async throws {
                try await writer.write(ByteBuffer(bytes: completion.event()))
            }
            do {
                for c in 0..<session.request.n {
                    try await send(reply.completion(chunk, [Choice(index: c, delta: MessageBody(role: "assistant", content: ""))]))
                }
                let usage = try await session.run { output in
                    switch output {
                    case .delta(let c, .content(let text)):
                        try await send(reply.completion(chunk, [Choice(index: c, delta: MessageBody(content: text))]))
                    case .delta(let c, .reasoning(let text)):
                        guard !hide else { return }
                        try await send(reply.completion(chunk, [Choice(index: c, delta: MessageBody(reasoningContent: text))]))
                    case .logprob(let c, let entry):
                        try await send(reply.completion(chunk, [Choice(index: c, delta: MessageBody(), logprobs: [entry])]))
                    case .finish(let c, let reason):
                        try await send(reply.completion(chunk, [Choice(index: c, delta: MessageBody(), finishReason: reason)]))
                    }
                }
                if session.request.includeUsage { try await send(reply.completion(chunk, [], usage: usage)) }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                try await writer.finish(nil)
                metrics.record(usage, timing: session.timing)
                metrics.record(status: 200, seconds: Date().timeIntervalSince(start))
            } catch {
                // The client went away, or generation failed after the headers were sent:
                // say so in the stream if anyone is still listening.
                session.cancel()
                let failure = error as? APIError ?? APIError.server("the request was cancelled")
                metrics.record(status: error is APIError ? failure.status : 499, seconds: Date().timeIntervalSince(start))
                try? await writer.write(ByteBuffer(bytes: Data("data: ".utf8) + failure.body + Data("\n\ndata: [DONE]\n\n".utf8)))
                try? await writer.finish(nil)
            }
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    /// A JSON request body: 415 unless it is declared JSON, 413 past `limit`; `ClientGone` when the
    /// upload stops before its end.
    static func jsonBody(_ request: Request, limit: Int) async throws -> Data {
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/json" else { throw APIError.unsupportedMediaType }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit { throw APIError.tooLarge(limit: limit) }
        var request = request
        do {
            return Data(try await request.collectBody(upTo: limit).readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.tooLarge(limit: limit)
        } catch {
            throw ClientGone()
        }
    }
}

extension RouterGroup where Context == ServerContext {
    /// `POST path` answered by `respond(request, context, start)`, with a failure counted under
    /// its status (499 for a client that went away), and 405 for other methods.
    func generating(_ path: String, metrics: ServerMetrics,
                    respond: @escaping @Sendable (Request, ServerContext, Date) async throws -> Response) {
        post(RouterPath(path)) { request, context in
            let start = Date()
            do {
                return try await respond(request, context, start)
            } catch {
                metrics.record(status: ChatCompletionsController.status(of: error), seconds: Date().timeIntervalSince(start))
                throw error
            }
        }
        refuseOtherMethods(on: RouterPath(path), allowed: [.post])
    }
}

/// The client closed the connection before its request was read or answered.
struct ClientGone: Error {}
