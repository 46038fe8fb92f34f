import Foundation
import Hummingbird
import Model
import NIOCore

/// Where and how `strawberry serve` listens.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (reported to `onListening`).
    public var port = 8080
    /// When set, `/v1/…` requires `Authorization: Bearer <key>`; `/`, `/health` and `/metrics` stay open.
    public var apiKey: String?
    /// Sequences decoded together.
    public var slots = 8
    /// Requests that may wait for a slot before new ones get 429.
    public var maxWaiting = 64
    /// Largest request body.
    public var maxBodyBytes = 1 << 20
    public var options: ServeOptions

    public init(options: ServeOptions) {
        self.options = options
    }
}

/// A request context that keeps the connection, so a request can be cancelled when its client
/// goes away.
public struct ServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// The OpenAI-compatible HTTP server: `POST /v1/chat/completions` (streaming or not),
/// `GET /v1/models`, `/health`, `/metrics` and the chat page at `/`.
public enum StrawberryServer {
    /// The application, ready to `run()` (tests) or `runService()` (graceful shutdown on
    /// SIGTERM/SIGINT: in-flight requests finish). The model loads in the background once the
    /// server listens; `/health` answers 503 until it is ready.
    public static func application(_ configuration: ServerConfiguration,
                                   load: @escaping @Sendable () throws -> Transformer,
                                   onListening: @escaping @Sendable (Int) -> Void = { _ in }) -> some ApplicationProtocol {
        let host = ModelHost()
        let metrics = ServerMetrics()
        let router = Router(context: ServerContext.self)
        router.add(middleware: ErrorMiddleware())
        if let key = configuration.apiKey { router.add(middleware: APIKeyMiddleware(key: key)) }
        let options = configuration.options

        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: ChatPage.html(modelName: options.modelName))))
        }
        router.get("/health") { _, _ in
            switch host.state {
            case .ready: return json(Data(#"{"status":"ok"}"#.utf8))
            case .loading: return json(Data(#"{"status":"loading"}"#.utf8), status: 503)
            case .failed: return json(Data(#"{"status":"failed"}"#.utf8), status: 503)
            }
        }
        router.get("/metrics") { _, _ in
            var text = ""
            if case .ready(let s) = host.state {
                let load = s.load
                text = metrics.text(waiting: load.waiting, decoding: load.decoding, slots: s.slots)
            } else {
                text = metrics.text(waiting: 0, decoding: 0, slots: 0)
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let created = Int(Date().timeIntervalSince1970)
        router.get("/v1/models") { _, _ in
            json(try JSONEncoder().encode(ModelList(data: [.init(id: options.modelName, created: created)])))
        }
        router.get("/v1/models/{id}") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard id == options.modelName else { throw APIError.modelNotFound(id) }
            return json(try JSONEncoder().encode(ModelList.Entry(id: id, created: created)))
        }
        router.post("/v1/chat/completions") { request, context in
            let start = Date()
            do {
                return try await chatCompletion(request, context: context, configuration: configuration,
                                                host: host, metrics: metrics, start: start)
            } catch {
                let status = (error as? APIError)?.status ?? 500
                metrics.record(status: status, seconds: Date().timeIntervalSince(start))
                throw error
            }
        }

        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "strawberry"),
            onServerRunning: { channel in
                onListening(channel.localAddress?.port ?? configuration.port)
                Thread.detachNewThread {
                    do {
                        let model = try load()
                        host.set(.ready(InferenceScheduler(model: model, slots: configuration.slots,
                                                           maxWaiting: configuration.maxWaiting)))
                    } catch {
                        host.set(.failed("\(error)"))
                    }
                }
            }
        )
        return app
    }

    private static func chatCompletion(_ request: Request, context: ServerContext, configuration: ServerConfiguration,
                                       host: ModelHost, metrics: ServerMetrics, start: Date) async throws -> Response {
        var request = request
        let limit = configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit { throw APIError.tooLarge(limit: limit) }
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: limit) } catch { throw APIError.tooLarge(limit: limit) }
        let chat = try ChatRequest.parse(Data(body.readableBytesView))
        let options = configuration.options
        guard chat.model == options.modelName else { throw APIError.modelNotFound(chat.model) }
        let session = ChatSession(request: chat, options: options, scheduler: try host.scheduler())
        try session.start()
        context.channel.closeFuture.whenComplete { _ in session.cancel() }
        let id = "chatcmpl-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let created = Int(Date().timeIntervalSince1970)
        @Sendable func completion(_ object: String, _ choices: [Choice], usage: Usage? = nil) -> ChatCompletion {
            ChatCompletion(id: id, object: object, created: created, model: options.modelName, choices: choices, usage: usage)
        }

        guard chat.stream else {
            var contents = Array(repeating: "", count: chat.n)
            var reasonings = Array(repeating: "", count: chat.n)
            var finishes = Array(repeating: "stop", count: chat.n)
            let usage = try await session.run { output in
                switch output {
                case .delta(let c, .content(let text)): contents[c] += text
                case .delta(let c, .reasoning(let text)): reasonings[c] += text
                case .finish(let c, let reason): finishes[c] = reason
                }
            }
            let choices = (0..<chat.n).map { c in
                Choice(index: c, message: MessageBody(role: "assistant", content: contents[c],
                                                      reasoningContent: options.hideReasoning ? nil : reasonings[c]),
                       finishReason: finishes[c])
            }
            metrics.record(usage)
            metrics.record(status: 200, seconds: Date().timeIntervalSince(start))
            return json(completion("chat.completion", choices, usage: usage).json())
        }

        let stream = ResponseBody { writer in
            func send(_ chunk: ChatCompletion) async throws {
                try await writer.write(ByteBuffer(bytes: chunk.event()))
            }
            do {
                for c in 0..<chat.n {
                    try await send(completion("chat.completion.chunk",
                                              [Choice(index: c, delta: MessageBody(role: "assistant", content: ""))]))
                }
                let usage = try await session.run { output in
                    switch output {
                    case .delta(let c, .content(let text)):
                        try await send(completion("chat.completion.chunk", [Choice(index: c, delta: MessageBody(content: text))]))
                    case .delta(let c, .reasoning(let text)):
                        guard !options.hideReasoning else { return }
                        try await send(completion("chat.completion.chunk", [Choice(index: c, delta: MessageBody(reasoningContent: text))]))
                    case .finish(let c, let reason):
                        try await send(completion("chat.completion.chunk", [Choice(index: c, delta: MessageBody(), finishReason: reason)]))
                    }
                }
                if chat.includeUsage { try await send(completion("chat.completion.chunk", [], usage: usage)) }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                try await writer.finish(nil)
                metrics.record(usage)
                metrics.record(status: 200, seconds: Date().timeIntervalSince(start))
            } catch {
                // The client went away, or generation failed after the headers were sent:
                // say so in the stream if anyone is still listening.
                session.cancel()
                let failure = error as? APIError ?? APIError.server("the request was cancelled")
                // 499 (nginx's "client closed request") when the client is gone.
                metrics.record(status: error is APIError ? failure.status : 499, seconds: Date().timeIntervalSince(start))
                try? await writer.write(ByteBuffer(bytes: Data("data: ".utf8) + failure.body + Data("\n\ndata: [DONE]\n\n".utf8)))
                try? await writer.finish(nil)
            }
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: stream)
    }
}

/// A JSON response.
func json(_ data: Data, status: Int = 200) -> Response {
    Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// Answers every error in OpenAI's shape: the API's own errors as they are, the router's
/// (no such route, wrong method) and anything unexpected mapped to their status.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = ServerContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return response(error)
        } catch let error as HTTPError {
            switch error.status.code {
            case 404: return response(.notFound(request.uri.path))
            case 405: return response(APIError(status: 405, message: "\(request.method) is not allowed on '\(request.uri.path)'.",
                                               type: "invalid_request_error", code: "method_not_allowed"))
            default: return response(APIError(status: error.status.code, message: error.body ?? "\(error.status)",
                                              type: error.status.code < 500 ? "invalid_request_error" : "server_error"))
            }
        } catch {
            return response(.server("Internal error: \(error)"))
        }
    }

    private func response(_ error: APIError) -> Response {
        var r = json(error.body, status: error.status)
        if error.status == 429 { r.headers[.retryAfter] = "1" }
        return r
    }
}

/// Requires `Authorization: Bearer <key>` on the API routes.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let key: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path.hasPrefix("/v1/") && request.headers[.authorization] != "Bearer \(key)" {
            throw APIError.unauthorized
        }
        return try await next(request, context)
    }
}
