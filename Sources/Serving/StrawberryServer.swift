import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Model
import NIOCore

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
    /// SIGTERM/SIGINT: in-flight requests finish). The model loads in the background while the
    /// server listens; `/health` answers 503 until it is ready, and a model that fails to load
    /// ends the application with the reason.
    public static func application(_ configuration: ServerConfiguration,
                                   load: @escaping @Sendable () throws -> Transformer,
                                   onListening: @escaping @Sendable (Int) -> Void = { _ in }) -> some ApplicationProtocol {
        let host = ModelHost()
        let logger = Logger(label: "strawberry")
        return Application(
            router: router(configuration, host: host, metrics: ServerMetrics()),
            server: .guardedHTTP1(idleTimeout: configuration.idleTimeout, headerTimeout: configuration.headerTimeout),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "strawberry",
                                 availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections, logger: logger)),
            services: [ModelService(host: host, load: load, slots: configuration.slots, maxWaiting: configuration.maxWaiting,
                                    logger: logger)],
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger
        )
    }

    /// Every route, behind the error, same-origin and (when origins are configured) CORS
    /// middleware; the API routes behind the key when there is one.
    static func router(_ configuration: ServerConfiguration, host: ModelHost, metrics: ServerMetrics) -> Router<ServerContext> {
        let router = Router(context: ServerContext.self)
        if configuration.accessLog { router.add(middleware: LogRequestsMiddleware(.info)) }
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: SameOriginMiddleware(allowedHosts: configuration.allowedHosts, corsOrigins: configuration.corsOrigins))
        if !configuration.corsOrigins.isEmpty {
            router.add(middleware: CORSMiddleware(allowOrigin: configuration.corsOrigins.contains("*") ? .all : .originBased,
                                                  allowHeaders: [.accept, .authorization, .contentType],
                                                  allowMethods: [.get, .head, .post, .options]))
        }
        let open = router.group()
        let guarded = router.group()
        if let key = configuration.apiKey { guarded.add(middleware: APIKeyMiddleware(key: key)) }
        let options = configuration.options

        open.readable("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: ChatPage.html(modelName: options.modelName))))
        }
        open.readable("/health") { _, _ in
            switch host.state {
            case .ready: return json(Data(#"{"status":"ok"}"#.utf8))
            case .loading: return json(Data(#"{"status":"loading"}"#.utf8), status: 503)
            case .failed: return json(Data(#"{"status":"failed"}"#.utf8), status: 503)
            }
        }
        (configuration.publicMetrics ? open : guarded).readable("/metrics") { _, _ in
            var text = metrics.text(waiting: 0, decoding: 0, slots: 0)
            if case .ready(let s) = host.state {
                let load = s.load
                text = metrics.text(waiting: load.waiting, decoding: load.decoding, slots: s.slots)
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let created = Int(Date().timeIntervalSince1970)
        @Sendable func entry() -> ModelList.Entry {
            var entry = ModelList.Entry(id: options.modelName, created: created)
            if case .ready(let s) = host.state { entry.contextLength = s.contextLength }
            return entry
        }
        guarded.readable("/v1/models") { _, _ in
            json(try JSONEncoder().encode(ModelList(data: [entry()])))
        }
        guarded.readable("/v1/models/{id}") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard id == options.modelName else { throw APIError.modelNotFound(id) }
            return json(try JSONEncoder().encode(entry()))
        }
        ChatCompletionsController(configuration: configuration, host: host, metrics: metrics).addRoutes(to: guarded)
        ResponsesController(configuration: configuration, host: host, metrics: metrics).addRoutes(to: guarded)
        TokenizeController(configuration: configuration, host: host).addRoutes(to: guarded)
        return router
    }
}

extension RouterGroup where Context == ServerContext {
    /// `GET` and `HEAD` (NIO sends a `HEAD` response's head only) on `path`, and 405 for the rest.
    func readable(_ path: RouterPath, use handler: @escaping @Sendable (Request, Context) async throws -> Response) {
        get(path, use: handler)
        head(path, use: handler)
        refuseOtherMethods(on: path, allowed: [.get, .head])
    }

    /// 405 with `Allow` for the usual methods a path does not take.
    func refuseOtherMethods(on path: RouterPath, allowed: [HTTPRequest.Method]) {
        let allow = allowed.map(\.rawValue)
        for method in [HTTPRequest.Method.get, .head, .post, .put, .delete, .patch, .options] where !allowed.contains(method) {
            on(path, method: method) { request, _ -> Response in
                throw APIError.methodNotAllowed(request.method.rawValue, path: request.uri.path, allow: allow)
            }
        }
    }
}

/// A JSON response.
func json(_ data: Data, status: Int = 200) -> Response {
    Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}
