import ArgumentParser
import Foundation
import Model
import Serving

/// `strawberry serve`: the OpenAI-compatible API and the chat page.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model with OpenAI's chat completions and Responses APIs (effort, budgets, streaming) and a chat page at /.",
        discussion: """
        Endpoints: POST /v1/chat/completions, POST /v1/responses, GET /v1/models, POST /tokenize, \
        POST /detokenize, GET /health, GET /metrics, GET / (chat page).

        reasoning_effort (or reasoning.effort) none/minimal/low/medium/high/xhigh picks a thinking \
        budget and a number of voting samples; the defaults are none=0, minimal=16, low=32, \
        medium=128, high=200,vote:3, xhigh=400,vote:5 and --effort overrides any of them. \
        thinking_token_budget (or reasoning.max_tokens) sets an exact budget per request; a \
        max_completion_tokens keeps room for the answer.

        SIGTERM or Ctrl-C stops accepting connections and lets requests in flight finish; a second \
        signal exits at once. A model that fails to load ends serve with a non-zero status.

        With --api-key, /v1/, /tokenize, /detokenize and /metrics need the key (/metrics not with --public-metrics).

        Browsers: only the server's own page, or origins given with --cors-origin, may call the API; \
        a Host that is a name other than localhost needs --allowed-host (DNS-rebinding protection).

        Example: strawberry serve --model runs/quickstart/rl --port 8080
        """
    )

    @Option(help: "Run folder or checkpoint directory to serve.")
    var model: String

    @OptionGroup var precision: PrecisionOption

    @Option(help: "Model name clients send (default: the run folder's name).")
    var name: String?

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: "Require 'Authorization: Bearer KEY' on /v1/ and /metrics (or set STRAWBERRY_API_KEY).")
    var apiKey: String?

    @Flag(help: "With an API key, leave /metrics open (for a scraper that sends no key).")
    var publicMetrics = false

    @Flag(help: "Log every request's method and path to stderr (an access log).")
    var accessLog = false

    @Option(name: .customLong("cors-origin"), help: "A web origin allowed to call the API from a browser (repeatable; * for any).")
    var corsOrigins: [String] = []

    @Option(name: .customLong("allowed-host"), help: "A host name accepted in the Host header besides IP addresses and localhost (repeatable; * for any).")
    var allowedHosts: [String] = []

    @Option(help: "Seconds a connection may sit with no request in progress before it is closed.")
    var idleTimeout: Double = 60

    @Option(help: "Seconds from a request's first byte to the end of its headers (slower ones get 408).")
    var headerTimeout: Double = 10

    @Option(help: "Connections served at once; more wait to be accepted.")
    var maxConnections = 256

    @Flag(help: "Return only the answer, as o1 does (reasoning tokens are still counted).")
    var hideReasoning = false

    @Flag(help: "The model answers directly (trained with --traces none).")
    var noThinking = false

    @Option(help: "Sequences decoded at once; a model of up to 16M parameters shares them out among one batch per core, each on its own thread.")
    var slots = 8

    @Option(help: "Requests that may wait for a slot; more get 429 with Retry-After.")
    var maxQueue = 64

    @Option(help: "Seconds per request; when they run out during thinking the model is made to answer.")
    var timeout: Double = 60

    @Option(help: "Most answer tokens after the thinking.")
    var maxAnswer = 128

    @Option(help: "Largest request body in bytes; larger ones get 413.")
    var maxBody = 1 << 20

    @Option(help: "Effort setting LEVEL=BUDGET[,vote:N], repeatable (e.g. --effort high=200,vote:5).")
    var effort: [String] = []

    func validate() throws {
        if apiKey?.isEmpty == true {
            throw ValidationError("--api-key is empty, which would lock out every client; give a key, or leave the option out to serve without one")
        }
        guard (1...ServerConfiguration.maxSlots).contains(slots) else { throw ValidationError("--slots must be in 1...\(ServerConfiguration.maxSlots)") }
        guard maxQueue >= 0, timeout > 0, maxAnswer > 0, maxBody > 0, (0...65535).contains(port) else {
            throw ValidationError("--timeout, --max-answer and --max-body must be positive, --max-queue at least 0, --port 0...65535")
        }
        guard idleTimeout > 0, headerTimeout > 0, maxConnections > 0 else {
            throw ValidationError("--idle-timeout, --header-timeout and --max-connections must be positive")
        }
    }

    func run() async throws {
        let directory = try Checkpoint.resolve(model)
        let config = try Checkpoint.loadConfig(directory)
        try config.validate()
        try config.checkFitsInMemory(slots: slots)
        var options = ServeOptions(modelName: name ?? Self.defaultName(model))
        for setting in effort {
            do { try options.efforts.apply(setting) } catch { throw ValidationError(error.description) }
        }
        options.hideReasoning = hideReasoning
        options.thinks = !noThinking
        options.maxAnswer = maxAnswer
        options.timeout = timeout
        var configuration = ServerConfiguration(options: options)
        configuration.host = host
        configuration.port = port
        configuration.apiKey = apiKey ?? ProcessInfo.processInfo.environment["STRAWBERRY_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        configuration.slots = slots
        configuration.maxWaiting = maxQueue
        configuration.maxBodyBytes = maxBody
        configuration.publicMetrics = publicMetrics
        configuration.accessLog = accessLog
        configuration.corsOrigins = corsOrigins
        configuration.allowedHosts = allowedHosts
        configuration.idleTimeout = idleTimeout
        configuration.headerTimeout = headerTimeout
        configuration.maxConnections = maxConnections
        let efforts = options.efforts.summary, servedName = options.modelName
        let host = self.host
        let modelPath = model
        let app = StrawberryServer.application(configuration, load: { [precision] in try precision.load(modelPath) }) { port in
            log("serving '\(servedName)' from \(modelPath) on http://\(host):\(port) (efforts \(efforts)); Ctrl-C stops")
        }
        try await StrawberryServer.run(app)
    }

    /// `runs/quickstart/rl` → `quickstart-rl`; a checkpoint folder names its run.
    static func defaultName(_ path: String) -> String {
        let skipped: Set<String> = [".", "runs", "latest", "checkpoints"]
        let parts = path.split(separator: "/").map(String.init).filter { !skipped.contains($0) && !$0.hasPrefix("step-") }
        return parts.suffix(2).joined(separator: "-")
    }
}
