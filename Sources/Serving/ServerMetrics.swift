import Foundation

/// Counters and a latency histogram for `GET /metrics`, written in Prometheus' text format.
final class ServerMetrics: @unchecked Sendable {
    /// Observations counted into cumulative buckets, written as a Prometheus histogram.
    struct Histogram {
        let name: String, help: String, buckets: [Double]
        var counts: [Int], count = 0, sum = 0.0

        init(_ name: String, _ help: String, buckets: [Double]) {
            self.name = name
            self.help = help
            self.buckets = buckets
            counts = Array(repeating: 0, count: buckets.count)
        }

        mutating func observe(_ seconds: Double) {
            count += 1
            sum += seconds
            for (i, bound) in buckets.enumerated() where seconds <= bound { counts[i] += 1 }
        }

        var text: String {
            var out = "# HELP strawberry_\(name) \(help)\n# TYPE strawberry_\(name) histogram\n"
            for (i, bound) in buckets.enumerated() { out += "strawberry_\(name)_bucket{le=\"\(bound)\"} \(counts[i])\n" }
            out += "strawberry_\(name)_bucket{le=\"+Inf\"} \(count)\nstrawberry_\(name)_sum \(sum)\nstrawberry_\(name)_count \(count)\n"
            return out
        }
    }

    private let lock = NSLock()
    private var requests: [Int: Int] = [:]  // by status
    private var promptTokens = 0
    private var completionTokens = 0
    private var reasoningTokens = 0
    private var duration = Histogram("request_duration_seconds", "Time from request to last byte of a completion.",
                                     buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60])
    private var firstToken = Histogram("time_to_first_token_seconds", "Time from request to the first generated token, thinking included.",
                                       buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
    private var firstAnswer = Histogram("time_to_first_answer_token_seconds", "Time from request to the first answer token, after the thinking.",
                                        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60])
    private var interToken = Histogram("inter_token_latency_seconds", "Time between successive tokens of a sample.",
                                       buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1])

    func record(status: Int, seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        requests[status, default: 0] += 1
        duration.observe(seconds)
    }

    /// A finished request's tokens and its latencies (`ChatSession.Timing`).
    func record(_ usage: Usage, timing: ChatSession.Timing) {
        lock.lock()
        defer { lock.unlock() }
        promptTokens += usage.promptTokens
        completionTokens += usage.completionTokens
        reasoningTokens += usage.reasoningTokens
        if let t = timing.firstToken { firstToken.observe(t) }
        if let t = timing.firstAnswerToken { firstAnswer.observe(t) }
        for gap in timing.gaps { interToken.observe(gap) }
    }

    /// The exposition text; `waiting`, `decoding` and `slots` are read from the scheduler now.
    func text(waiting: Int, decoding: Int, slots: Int) -> String {
        lock.lock()
        defer { lock.unlock() }
        var out = "# HELP strawberry_requests_total Chat completion requests answered, by HTTP status.\n"
        out += "# TYPE strawberry_requests_total counter\n"
        for (status, n) in requests.sorted(by: { $0.key < $1.key }) {
            out += "strawberry_requests_total{status=\"\(status)\"} \(n)\n"
        }
        for (name, help, value) in [("prompt_tokens", "Prompt tokens processed.", promptTokens),
                                    ("completion_tokens", "Completion tokens generated, reasoning included.", completionTokens),
                                    ("reasoning_tokens", "Reasoning (thinking) tokens generated.", reasoningTokens)] {
            out += "# HELP strawberry_\(name)_total \(help)\n# TYPE strawberry_\(name)_total counter\n"
            out += "strawberry_\(name)_total \(value)\n"
        }
        for histogram in [duration, firstToken, firstAnswer, interToken] { out += histogram.text }
        for (name, help, value) in [("queue_waiting", "Requests waiting for a decoding slot.", waiting),
                                    ("decoding", "Sequences decoding now.", decoding),
                                    ("slots", "Sequences the engine decodes together.", slots)] {
            out += "# HELP strawberry_\(name) \(help)\n# TYPE strawberry_\(name) gauge\nstrawberry_\(name) \(value)\n"
        }
        return out
    }
}
