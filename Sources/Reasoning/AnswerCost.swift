import Foundation
import Model
import Tasks

/// What answering costs a model, measured one request at a time as a user would see it:
/// latency per answer, decode speed, and compute per correct answer.
public struct AnswerCost: Codable, Sendable, Equatable {
    public var problems: Int
    public var accuracy: Double
    public var latencyP50: Double
    public var latencyP95: Double
    /// Completion tokens per second of wall time, one request at a time.
    public var tokensPerSecond: Double
    public var secondsPerCorrect: Double?
    public var flopsPerCorrect: Double?

    /// Answers `count` test problems greedily, one at a time, at thinking budget `budget`.
    public static func measure(model: Transformer, task: any ReasoningTask, difficulty: Int, count: Int, budget: Int,
                               maxAnswer: Int, thinks: Bool, seed: UInt64) throws(ModelError) -> AnswerCost {
        let engine = Engine(model: model, slots: 1)
        let problems = task.problems(count: count, difficulty: difficulty, split: .test, baseSeed: seed)
        var seconds: [Double] = [], tokens = 0, flops = 0.0, correct = 0
        for p in problems {
            let g = try engine.generate([GenerationRequest(user: p.prompt, sampling: .greedy,
                                                           budget: Budget(maxThinking: budget, maxAnswer: maxAnswer), thinks: thinks)])[0]
            seconds.append(g.seconds)
            tokens += g.tokens.count
            flops += g.flops
            if task.score(p, completion: g.text).correct { correct += 1 }
        }
        let sorted = seconds.sorted()
        func quantile(_ q: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(q * Double(sorted.count)))] }
        let total = seconds.reduce(0, +)
        return AnswerCost(problems: problems.count, accuracy: Double(correct) / Double(max(1, problems.count)),
                          latencyP50: quantile(0.5), latencyP95: quantile(0.95),
                          tokensPerSecond: total > 0 ? Double(tokens) / total : 0,
                          secondsPerCorrect: correct > 0 ? total / Double(correct) : nil,
                          flopsPerCorrect: correct > 0 ? flops / Double(correct) : nil)
    }
}
