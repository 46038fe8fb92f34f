import Reasoning

/// What each `reasoning_effort` buys: a thinking budget and how many samples vote on the answer.
/// Parsed from `low=32`, `high=200,vote:3`-style settings so each model can be tuned.
public struct EffortTable: Sendable, Equatable {
    /// One effort level's setting.
    public struct Setting: Sendable, Equatable, CustomStringConvertible {
        public var thinkingBudget: Int
        /// Samples whose answers are majority-voted; 1 answers from a single sample.
        public var votes: Int

        public var description: String { votes > 1 ? "\(thinkingBudget),vote:\(votes)" : "\(thinkingBudget)" }
    }

    public var settings: [ChatRequest.Effort: Setting] = [
        .none: Setting(thinkingBudget: 0, votes: 1),
        .minimal: Setting(thinkingBudget: 16, votes: 1),
        .low: Setting(thinkingBudget: 32, votes: 1),
        .medium: Setting(thinkingBudget: 128, votes: 1),
        .high: Setting(thinkingBudget: 200, votes: 3),
        .xhigh: Setting(thinkingBudget: 400, votes: 5),
    ]

    public init() {}

    public subscript(effort: ChatRequest.Effort) -> Setting { settings[effort]! }

    /// `none=0 minimal=16 low=32 medium=128 high=200,vote:3 xhigh=400,vote:5`.
    public var summary: String {
        ChatRequest.Effort.allCases.map { "\($0.rawValue)=\(self[$0])" }.joined(separator: " ")
    }

    /// Applies an override such as `high=512,vote:5` or `low=16`.
    public mutating func apply(_ text: String) throws(EffortTableError) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let effort = ChatRequest.Effort(rawValue: parts[0]) else { throw .malformed(text) }
        let fields = parts[1].split(separator: ",").map(String.init)
        guard let budget = fields.first.flatMap({ Int($0) }), budget >= 0, fields.count <= 2 else { throw .malformed(text) }
        var votes = 1
        if fields.count == 2 {
            guard fields[1].hasPrefix("vote:"), let v = Int(fields[1].dropFirst(5)), (1...16).contains(v) else {
                throw .malformed(text)
            }
            votes = v
        }
        settings[effort] = Setting(thinkingBudget: budget, votes: votes)
    }
}

/// A malformed `--effort` setting.
public enum EffortTableError: Error, CustomStringConvertible {
    case malformed(String)

    public var description: String {
        switch self {
        case .malformed(let text):
            "effort setting '\(text)' is malformed: write LEVEL=BUDGET or LEVEL=BUDGET,vote:N with LEVEL one of none, minimal, low, medium, high, xhigh and N in 1...16 (e.g. high=200,vote:3)"
        }
    }
}
