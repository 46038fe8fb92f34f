import Foundation

/// Problems of a split with their worked solutions, ready to become SFT data.
public enum WorkedExamples {
    /// One problem with its worked solution as completion text.
    public struct Example: Sendable {
        public let problem: Problem
        public let completion: String

        public init(problem: Problem, completion: String) {
            self.problem = problem
            self.completion = completion
        }

        /// The example as one `{"completion", "prompt"}` SFT line, newline included.
        public func jsonLine() throws -> Data {
            try JSONSerialization.data(withJSONObject: ["prompt": problem.prompt, "completion": completion],
                                       options: [.sortedKeys, .withoutEscapingSlashes]) + Data("\n".utf8)
        }
    }

    /// The first `count` problems of `split` whose trace fits `maxThinkingTokens`, and how many
    /// were skipped for being longer. Stops early (returning fewer) when almost nothing fits.
    public static func make(task: any ReasoningTask, difficulty: Int, split: Split, count: Int, style: TraceStyle,
                            maxThinkingTokens: Int, seed: UInt64 = 0) -> (examples: [Example], skipped: Int) {
        var examples: [Example] = []
        var skipped = 0, index = 0
        while examples.count < count {
            let problem = task.problem(index: index, difficulty: difficulty, split: split, baseSeed: seed)
            index += 1
            if let completion = task.trace(problem, style: style, maxThinkingTokens: maxThinkingTokens) {
                examples.append(Example(problem: problem, completion: completion))
            } else {
                skipped += 1
                if skipped > 100 && skipped > 10 * max(examples.count, 1) { break }
            }
        }
        return (examples, skipped)
    }
}
