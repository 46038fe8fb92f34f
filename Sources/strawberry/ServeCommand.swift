import ArgumentParser
import Foundation
import Model
import Serving

/// `strawberry serve`: the OpenAI-compatible API and the chat page.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model with the OpenAI chat completions API (reasoning_effort, streaming) and a chat page at /.",
        discussion: """
        Endpoints: POST /v1/chat/completions, GET /v1/models, GET /health, GET /metrics, GET / (chat page).
        reasoning_effort low/medium/high picks a thinking budget and a number of voting samples; the
        defaults are low=32, medium=128, high=200,vote:3 and --effort overrides any of them.
        SIGTERM or Ctrl-C stops accepting connections and lets requests in flight finish.
        Example: strawberry serve --model runs/quickstart/rl --port 8080
        """
    )

    @Option(help: "Run folder or checkpoint directory to serve.")
    var model: String

    @Option(help: "Model name clients send (default: the run folder's name).")
    var name: String?

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8080

    @Option(name: .customLong("api-key"), help: "Require 'Authorization: Bearer KEY' on /v1/ (or set STRAWBERRY_API_KEY).")
    var apiKey: String?

    @Flag(name: .customLong("hide-reasoning"), help: "Return only the answer, as o1 does (reasoning tokens are still counted).")
    var hideReasoning = false

    @Flag(name: .customLong("no-thinking"), help: "The model answers directly (trained with --traces none).")
    var noThinking = false

    @Option(help: "Sequences decoded together.")
    var slots = 8

    @Option(name: .customLong("max-queue"), help: "Requests that may wait for a slot; more get 429 with Retry-After.")
    var maxQueue = 64

    @Option(help: "Seconds per request; when they run out during thinking the model is made to answer.")
    var timeout: Double = 60

    @Option(name: .customLong("max-answer"), help: "Most answer tokens after the thinking.")
    var maxAnswer = 128

    @Option(name: .customLong("max-body"), help: "Largest request body in bytes; larger ones get 413.")
    var maxBody = 1 << 20

    @Option(help: "Effort setting LEVEL=BUDGET[,vote:N], repeatable (e.g. --effort high=200,vote:5).")
    var effort: [String] = []

    func run() async throws {
        let directory = try Checkpoint.resolve(model)
        _ = try Checkpoint.loadConfig(directory)
        guard slots > 0, maxQueue >= 0, timeout > 0, maxAnswer > 0, maxBody > 0, (0...65535).contains(port) else {
            throw ValidationError("--slots, --timeout, --max-answer and --max-body must be positive, --max-queue at least 0, --port 0...65535")
        }
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
        let efforts = options.efforts.summary, servedName = options.modelName
        let host = self.host
        let modelPath = model
        let app = StrawberryServer.application(configuration, load: { try Checkpoint.loadModel(modelPath) }) { port in
            log("serving '\(servedName)' from \(modelPath) on http://\(host):\(port) (efforts \(efforts)); Ctrl-C stops")
        }
        try await app.runService()
    }

    /// `runs/quickstart/rl` → `quickstart-rl`; a checkpoint folder names its run.
    static func defaultName(_ path: String) -> String {
        let skipped: Set<String> = [".", "runs", "latest", "checkpoints"]
        let parts = path.split(separator: "/").map(String.init).filter { !skipped.contains($0) && !$0.hasPrefix("step-") }
        return parts.suffix(2).joined(separator: "-")
    }
}
