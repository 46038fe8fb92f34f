import Foundation
import Model
import Reasoning
import Tasks

/// Rejection-sampled distillation: a teacher answers training problems; only completions the
/// verifier accepts are kept (the shortest correct one per problem), ready for a student's SFT.
/// A kept completion whose thinking the budget closed is marked, so its forced `</think>` is not
/// learned.
public struct Distillation: Sendable {
    public var task: any ReasoningTask
    public var difficulty: Int
    /// Training problems the teacher attempts.
    public var problems = 4000
    /// Samples per problem (the teacher's best-of-n).
    public var samples = 4
    public var budget = Budget(maxThinking: 200, maxAnswer: Budget.trainingAnswerTokens)
    public var temperature: Float = 0.7
    public var seed: UInt64 = 1

    public init(task: any ReasoningTask, difficulty: Int) {
        self.task = task
        self.difficulty = difficulty
    }

    /// What the teacher produced.
    public struct Harvest: Sendable {
        public var examples: [WorkedExamples.Example]
        public var attempted: Int
        public var samplesDrawn: Int
        public var correctSamples: Int
        public var teacherTokens: Int
        /// Thinking tokens over all samples, samples whose thinking the budget closed, and samples
        /// whose thinking checks or backtracks (the task's reflection markers).
        public var thinkingTokens = 0
        public var cutSamples = 0
        public var reflectingSamples = 0
        public var seconds: Double
    }

    /// Runs the teacher; `progress` gets a line every few hundred problems.
    public func collect(teacher: Transformer, progress: (String) -> Void = { _ in }) throws(ModelError) -> Harvest {
        let start = Date()
        let engine = Engine(model: teacher, slots: 64)
        let all = task.problems(count: problems, difficulty: difficulty, split: .train, baseSeed: seed)
        var harvest = Harvest(examples: [], attempted: all.count, samplesDrawn: 0, correctSamples: 0, teacherTokens: 0, seconds: 0)
        let chunk = 256
        for first in stride(from: 0, to: all.count, by: chunk) {
            let batch = Array(all[first..<min(all.count, first + chunk)])
            let groups = try engine.generate(items: batch.count, samples: samples) { i, k in
                GenerationRequest(user: batch[i].prompt,
                                  sampling: SamplingOptions(temperature: temperature,
                                                            seed: SampleSeed.harvest(seed, problem: first + i, sample: k, samples: samples)),
                                  budget: budget)
            }
            for (p, group) in zip(batch, groups) {
                harvest.samplesDrawn += group.count
                harvest.teacherTokens += group.reduce(0) { $0 + $1.tokens.count }
                harvest.thinkingTokens += group.reduce(0) { $0 + $1.thinkingTokens }
                harvest.cutSamples += group.filter(\.thinkingCut).count
                harvest.reflectingSamples += group.filter { task.reflects($0.text) }.count
                let correct = group.filter { task.score(p, completion: $0.text).correct }
                harvest.correctSamples += correct.count
                if let best = correct.min(by: { $0.thinkingTokens < $1.thinkingTokens }) {
                    harvest.examples.append(WorkedExamples.Example(problem: p, completion: best.text,
                                                                   thinkingCut: best.thinkingCut))
                }
            }
            progress("    teacher: \(min(all.count, first + chunk))/\(all.count) problems, \(harvest.examples.count) solved")
        }
        harvest.seconds = Date().timeIntervalSince(start)
        return harvest
    }
}
