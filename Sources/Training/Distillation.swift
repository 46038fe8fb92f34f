import Cluster
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
    /// Keep only correct samples whose thinking has no slip, false claim or missed solution
    /// (`ThinkingAudit`), for tasks that can audit their thinking: the verifier checks the steps as
    /// well as the answer, so a right answer reached through wrong arithmetic is not learned.
    public var cleanThinking = false

    public init(task: any ReasoningTask, difficulty: Int) {
        self.task = task
        self.difficulty = difficulty
    }

    /// What the teacher produced.
    public struct Harvest: Codable, Sendable {
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
        /// The samples' slips, false claims, misses and recoveries.
        public var selfCorrection = SelfCorrection()
        public var seconds: Double
    }

    /// The kept samples marked with the budget line a model with `config` learns them under: the
    /// level of `budget`, the line they were drawn with (unmarked for a model without levels).
    public func leveled(_ examples: [WorkedExamples.Example], for config: ModelConfig) -> [WorkedExamples.Example] {
        let level = BudgetTag.level(forThinking: budget.maxThinking, in: config.budgetLevels)
        return examples.map { var e = $0; e.budgetLevel = level; return e }
    }

    /// The kept samples as SFT data for a model with `config`: one that reads its budget
    /// (`BudgetTag`) learns them under the budget line they were drawn with (`leveled`). `mixedIn`
    /// worked solutions follow as they are (each under a level drawn per batch).
    public func dataset(_ examples: [WorkedExamples.Example], mixedIn: [WorkedExamples.Example] = [], for config: ModelConfig,
                        vocabulary: Vocabulary) -> SFTDataset {
        SFTDataset(worked: leveled(examples, for: config) + mixedIn, maxTokens: config.contextLength + 1, vocabulary: vocabulary,
                   budgetLevels: config.budgetLevels)
    }

    /// Runs the teacher; `progress` gets a line every few hundred problems. Under MPI each rank
    /// samples its share of every chunk of problems and the ranks exchange what they kept, so every
    /// rank returns the whole harvest, in problem order (samples are seeded by problem index).
    public func collect(teacher: Transformer, communicator: any Communicator = SingleProcess(),
                        progress: (String) -> Void = { _ in }) throws(TrainingError) -> Harvest {
        let start = Date()
        let engine = Engine(model: teacher, slots: 64)
        let all = task.problems(count: problems, difficulty: difficulty, split: .train, baseSeed: seed)
        var harvest = Harvest(examples: [], attempted: all.count, samplesDrawn: 0, correctSamples: 0, teacherTokens: 0, seconds: 0)
        let chunk = 256
        for first in stride(from: 0, to: all.count, by: chunk) {
            let whole = all[first..<min(all.count, first + chunk)]
            let mine = communicator.share(of: whole.count)
            let batch = Array(whole.dropFirst(mine.lowerBound).prefix(mine.count))
            let groups: [[Generation]]
            do {
                groups = batch.isEmpty ? [] : try engine.generate(items: batch.count, samples: samples) { i, k in
                    GenerationRequest(user: batch[i].prompt,
                                      sampling: SamplingOptions(temperature: temperature,
                                                                seed: SampleSeed.harvest(seed, problem: first + mine.lowerBound + i,
                                                                                         sample: k, samples: samples)),
                                      budget: budget)
                }
            } catch { throw .model(error) }
            var part = Harvest(examples: [], attempted: 0, samplesDrawn: 0, correctSamples: 0, teacherTokens: 0, seconds: 0)
            for (p, group) in zip(batch, groups) {
                part.samplesDrawn += group.count
                part.teacherTokens += group.reduce(0) { $0 + $1.tokens.count }
                part.thinkingTokens += group.reduce(0) { $0 + $1.thinkingTokens }
                part.cutSamples += group.filter(\.thinkingCut).count
                // Each sample is decoded, scored and audited once.
                let texts = group.map(\.text)
                let correct = texts.map { task.score(p, completion: $0).correct }
                let audits = texts.map { task.audit(p, completion: $0) }
                part.reflectingSamples += texts.filter { task.reflects($0) }.count
                part.selfCorrection = part.selfCorrection + task.selfCorrection(p, audits: audits.compactMap { $0 })
                let solved = correct.filter { $0 }.count
                part.correctSamples += solved
                let candidates = group.indices.map { (thinkingTokens: group[$0].thinkingTokens, correct: correct[$0], mistakes: audits[$0]?.mistakes) }
                if let i = Self.kept(candidates, cleanThinking: cleanThinking) {
                    part.examples.append(WorkedExamples.Example(problem: p, completion: texts[i], thinkingCut: group[i].thinkingCut,
                                                                solvedSamples: solved))
                }
            }
            let parts: [Harvest]
            do { parts = try communicator.allGather(part) } catch { throw .cluster(error) }
            for p in parts {
                harvest.examples += p.examples
                harvest.samplesDrawn += p.samplesDrawn
                harvest.teacherTokens += p.teacherTokens
                harvest.thinkingTokens += p.thinkingTokens
                harvest.cutSamples += p.cutSamples
                harvest.reflectingSamples += p.reflectingSamples
                harvest.selfCorrection = harvest.selfCorrection + p.selfCorrection
                harvest.correctSamples += p.correctSamples
            }
            progress("    teacher: \(min(all.count, first + chunk))/\(all.count) problems, \(harvest.examples.count) solved")
        }
        harvest.seconds = Date().timeIntervalSince(start)
        return harvest
    }

    /// Which of a problem's samples is kept: the first of the shortest (in thinking tokens) of those
    /// the verifier accepts, and with `cleanThinking` only of those whose thinking audit found no
    /// mistake (`mistakes` nil: a task that cannot audit, so nothing to hold against it).
    public static func kept(_ samples: [(thinkingTokens: Int, correct: Bool, mistakes: Int?)], cleanThinking: Bool) -> Int? {
        samples.indices.filter { samples[$0].correct && (!cleanThinking || (samples[$0].mistakes ?? 0) == 0) }
            .min { samples[$0].thinkingTokens < samples[$1].thinkingTokens }
    }
}
