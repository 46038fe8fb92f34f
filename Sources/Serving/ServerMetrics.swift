import Foundation

/// Counters and a latency histogram for `GET /metrics`, written in Prometheus' text format.
final class ServerMetrics: @unchecked Sendable {
    static let latencyBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    private let lock = NSLock()
    private var requests: [Int: Int] = [:]  // by status
    private var promptTokens = 0
    private var completionTokens = 0
    private var reasoningTokens = 0
    private var bucketCounts = Array(repeating: 0, count: latencyBuckets.count)
    private var latencyCount = 0
    private var latencySum = 0.0

    func record(status: Int, seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        requests[status, default: 0] += 1
        latencyCount += 1
        latencySum += seconds
        for (i, bound) in Self.latencyBuckets.enumerated() where seconds <= bound { bucketCounts[i] += 1 }
    }

    func record(_ usage: Usage) {
        lock.lock()
        defer { lock.unlock() }
        promptTokens += usage.promptTokens
        completionTokens += usage.completionTokens
        reasoningTokens += usage.reasoningTokens
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
        out += "# HELP strawberry_request_duration_seconds Time from request to last byte of a chat completion.\n"
        out += "# TYPE strawberry_request_duration_seconds histogram\n"
        for (i, bound) in Self.latencyBuckets.enumerated() {
            out += "strawberry_request_duration_seconds_bucket{le=\"\(bound)\"} \(bucketCounts[i])\n"
        }
        out += "strawberry_request_duration_seconds_bucket{le=\"+Inf\"} \(latencyCount)\n"
        out += "strawberry_request_duration_seconds_sum \(latencySum)\n"
        out += "strawberry_request_duration_seconds_count \(latencyCount)\n"
        for (name, help, value) in [("queue_waiting", "Requests waiting for a decoding slot.", waiting),
                                    ("decoding", "Sequences decoding now.", decoding),
                                    ("slots", "Sequences the engine decodes together.", slots)] {
            out += "# HELP strawberry_\(name) \(help)\n# TYPE strawberry_\(name) gauge\nstrawberry_\(name) \(value)\n"
        }
        return out
    }
}
