/// Where and how `strawberry serve` listens, and what it lets in.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (reported to `onListening`).
    public var port = 8080
    /// When set, every API route (`/v1/…`, and `/metrics` unless `publicMetrics`) requires
    /// `Authorization: Bearer <key>`; `/` and `/health` stay open.
    public var apiKey: String?
    /// With an API key, whether `/metrics` stays open (for a scraper that sends no key).
    public var publicMetrics = false
    /// Logs every request (method and path) at info level, through Hummingbird's
    /// `LogRequestsMiddleware` and swift-log.
    public var accessLog = false
    /// Browser origins allowed to call the API (CORS; `*` allows any); other origins get 403.
    public var corsOrigins: [String] = []
    /// Host names accepted besides IP addresses and `localhost` (DNS-rebinding protection; `*`
    /// accepts any).
    public var allowedHosts: [String] = []
    /// Sequences decoded together.
    public var slots = 8
    /// The most slots a server may have.
    public static let maxSlots = 1024
    /// Requests that may wait for a slot before new ones get 429.
    public var maxWaiting = 64
    /// Largest request body.
    public var maxBodyBytes = 1 << 20
    /// Seconds a connection may sit with no request in progress before it is closed.
    public var idleTimeout: Double = 60
    /// Seconds from a request's first byte to the end of its head; a slower head gets 408.
    public var headerTimeout: Double = 10
    /// Connections served at once; further ones wait to be accepted.
    public var maxConnections = 256
    public var options: ServeOptions

    public init(options: ServeOptions) {
        self.options = options
    }
}
