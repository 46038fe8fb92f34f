import Foundation

/// Problems of a split with their worked solutions, ready to become SFT data.
public enum WorkedExamples {
    /// One problem with its worked solution as completion text.
    public struct Example: Codable, Sendable {
        public let problem: Problem
        public let completion: String
        /// Whether a thinking budget closed the thinking (its `</think>` was forced, not written).
        public let thinkingCut: Bool
        /// The same problem's solution for small budget levels (`TraceStyle.brief` or `.hurried`), which
        /// levels below `sft --brief-below` show.
        public let brief: String?
        /// Lines of the completion that SFT must not learn (`ReasoningTask.unlearnedLines`); nil: none.
        public let unlearnedLines: [Int]?
        /// The budget line a model that reads its budget learns it under (a sample drawn at that
        /// budget); nil: a level drawn per batch.
        public var budgetLevel: Int?
        /// How many of a teacher's samples of the problem the verifier accepted (a harvested
        /// example); nil: a written solution. Lets ReST-EM keep only problems not every sample solves.
        public var solvedSamples: Int?

        public init(problem: Problem, completion: String, thinkingCut: Bool = false, brief: String? = nil,
                    unlearnedLines: [Int]? = nil, budgetLevel: Int? = nil, solvedSamples: Int? = nil) {
            self.problem = problem
            self.completion = completion
            self.thinkingCut = thinkingCut
            self.brief = brief
            self.unlearnedLines = unlearnedLines
            self.budgetLevel = budgetLevel
            self.solvedSamples = solvedSamples
        }

        /// The example as one `{"completion", "prompt"}` SFT line, newline included; a cut one
        /// also carries `"thinking_cut": true`, one with a brief solution `"brief"`, one with lines
        /// not to learn `"unlearned_lines"`, one with a fixed budget line `"budget_level"`, a harvested
        /// one `"solved_samples"` (read by nothing in SFT: for filtering the file).
        public func jsonLine() throws -> Data {
            var object: [String: Any] = ["prompt": problem.prompt, "completion": completion]
            if thinkingCut { object["thinking_cut"] = true }
            if let brief { object["brief"] = brief }
            if let unlearnedLines { object["unlearned_lines"] = unlearnedLines }
            if let budgetLevel { object["budget_level"] = budgetLevel }
            if let solvedSamples { object["solved_samples"] = solvedSamples }
            return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                + Data("\n".utf8)
        }
    }

    /// The examples as SFT JSONL, one `jsonLine()` each.
    public static func jsonLines(_ examples: [Example]) throws -> Data {
        try examples.reduce(into: Data()) { $0 += try $1.jsonLine() }
    }

    /// The first `count` problems of `split` whose trace fits `maxThinkingTokens`, and how many
    /// were skipped for being longer. Stops early (returning fewer) when almost nothing fits.
    /// `briefStyle` also writes each one's solution in that style for small budget levels (`Example.brief`).
    public static func make(task: any ReasoningTask, difficulty: Int, split: Split, count: Int, style: TraceStyle,
                            maxThinkingTokens: Int, seed: UInt64 = 0,
                            briefStyle: TraceStyle? = nil) -> (examples: [Example], skipped: Int) {
        var examples: [Example] = []
        var skipped = 0, index = 0
        while examples.count < count {
            let problem = task.problem(index: index, difficulty: difficulty, split: split, baseSeed: seed)
            index += 1
            if let completion = task.trace(problem, style: style, maxThinkingTokens: maxThinkingTokens) {
                let brief = briefStyle.flatMap { task.trace(problem, style: $0, maxThinkingTokens: maxThinkingTokens) }
                let unlearned = task.unlearnedLines(problem, completion: completion)
                examples.append(Example(problem: problem, completion: completion, brief: brief,
                                        unlearnedLines: unlearned.isEmpty ? nil : unlearned))
            } else {
                skipped += 1
                if skipped > 100 && skipped > 10 * max(examples.count, 1) { break }
            }
        }
        return (examples, skipped)
    }
}
