import Foundation
import Kernels
import Model
import Tasks

/// Supervised fine-tuning examples read from JSONL lines `{"prompt": …, "completion": …}`,
/// tokenized with the chat template. The loss falls on the completion (and its end token) only,
/// and not on tool results (`<result>…</result>`), which the engine injects at inference. A line
/// with `"thinking_cut": true` has a `</think>` that a budget forced, which is not learned either,
/// nor are the completion's lines listed in `"unlearned_lines"` (a false claim the worked
/// solution shows refuted: `ReasoningTask.unlearnedLines`).
///
/// With budget levels (`BudgetTag`) every example is also tokenized once per level: the prompt
/// ends with the level's budget line and thinking longer than the level ends there, with a
/// `</think>` that is learned (the model sees its budget, so closing the thinking there is its
/// own decision). Each drawn example then takes one level, drawn from the seed and the step.
/// Levels below `briefBelow` show an example's brief solution (`"brief"`, `TraceStyle.brief`)
/// where it has one: a search written to fit a small budget rather than the human one cut short.
public struct SFTDataset: Sendable {
    /// One tokenized example: the whole sequence and which tokens are learned.
    public struct Example: Sendable, Equatable {
        public let tokens: [Int32]
        /// Index of the first completion token.
        public let completionStart: Int
        /// Whether each token is learned (predicted with loss).
        public let learned: [Bool]
        /// Positions of the thinking tokens, between `<think>` and its `</think>`; nil when the
        /// completion has no thinking or the context cut off its end.
        public let thinking: Range<Int>?

        /// The example with its thinking cut after `kept` tokens and closed there. As the engine
        /// closes thinking that reaches its budget, that `</think>` is forced and not learned,
        /// unless `learnClose` (a model that saw the budget in its prompt closes it itself).
        func cuttingThinking(keeping kept: Int, learnClose: Bool = false) -> Example {
            guard let thinking, kept < thinking.count else { return self }
            let cut = thinking.lowerBound + kept
            return Example(tokens: Array(tokens[..<cut] + tokens[thinking.upperBound...]), completionStart: completionStart,
                           learned: Array(learned[..<cut] + [learnClose] + learned[(thinking.upperBound + 1)...]),
                           thinking: thinking.lowerBound..<cut)
        }
    }

    /// The examples without a budget line.
    public let examples: [Example]
    /// How many examples were cut to fit the context.
    public let truncated: Int
    /// The budget levels the examples are shown with (empty: none).
    public let budgetLevels: [Int]
    /// Per example, its tokenization at each of `budgetLevels` (at its own level in every place, for
    /// an example with a fixed one).
    let leveled: [[Example]]

    public init(examples: [Example], truncated: Int = 0) {
        self.examples = examples
        self.truncated = truncated
        budgetLevels = []
        leveled = []
    }

    /// One worked solution as text: the prompt, the completion, whether a budget forced its
    /// `</think>`, its brief form if it has one, the completion's lines not to learn, and the budget
    /// line it is always shown with (nil: a level drawn per batch).
    struct Pair {
        let prompt: String, completion: String, thinkingCut: Bool, brief: String?
        var unlearnedLines: [Int] = []
        var budgetLevel: Int?
    }

    /// Worked examples tokenized in `vocabulary` and cut to `maxTokens` (and counted); a budget-cut
    /// one's forced `</think>` is not learned. With `budgetLevels`, each is also tokenized at every
    /// level, in its brief form below `briefBelow`; one with its own `budgetLevel` only at that one.
    public init(worked: [WorkedExamples.Example], maxTokens: Int, vocabulary: Vocabulary, budgetLevels: [Int] = [],
                briefBelow: Int = 0) {
        self.init(pairs: worked.map { Pair(prompt: $0.problem.prompt, completion: $0.completion, thinkingCut: $0.thinkingCut,
                                           brief: $0.brief, unlearnedLines: $0.unlearnedLines ?? [], budgetLevel: $0.budgetLevel) },
                  maxTokens: maxTokens, vocabulary: vocabulary, budgetLevels: budgetLevels, briefBelow: briefBelow)
    }

    /// Worked solutions tokenized as `init(worked:…)` does.
    init(pairs: [Pair], maxTokens: Int, vocabulary: Vocabulary, budgetLevels: [Int], briefBelow: Int) {
        let tokenized = pairs.map {
            Self.example(prompt: $0.prompt, completion: $0.completion, thinkingCut: $0.thinkingCut, maxTokens: maxTokens,
                         vocabulary: vocabulary, unlearnedLines: $0.unlearnedLines)
        }
        examples = tokenized.map(\.0)
        truncated = tokenized.filter(\.1).count
        self.budgetLevels = budgetLevels
        func shown(_ pair: Pair, at level: Int) -> Example {
            let brief = level < briefBelow ? pair.brief : nil
            return Self.example(prompt: pair.prompt, completion: brief ?? pair.completion, thinkingCut: pair.thinkingCut,
                                maxTokens: maxTokens, vocabulary: vocabulary, budgetLevel: level,
                                unlearnedLines: brief == nil ? pair.unlearnedLines : []).0
        }
        leveled = budgetLevels.isEmpty ? [] : pairs.map { pair in
            pair.budgetLevel.map { [Example](repeating: shown(pair, at: $0), count: budgetLevels.count) }
                ?? budgetLevels.map { shown(pair, at: $0) }
        }
    }

    /// Tokenizes one prompt/completion pair in `vocabulary`, cutting it to `maxTokens`. With
    /// `thinkingCut` the `</think>` was forced by a budget and is not learned. With `budgetLevel`
    /// the prompt carries that budget line and longer thinking is closed after that many tokens.
    /// The completion's `unlearnedLines` (0 = the line `<think>` opens), their newlines included,
    /// are not learned.
    public static func example(prompt: String, completion: String, thinkingCut: Bool = false, maxTokens: Int,
                               vocabulary: Vocabulary, budgetLevel: Int? = nil, unlearnedLines: [Int] = []) -> (Example, Bool) {
        if let budgetLevel {
            let (full, _) = example(prompt: BudgetTag.tagged(prompt, level: budgetLevel), completion: completion,
                                    thinkingCut: thinkingCut, maxTokens: Int.max, vocabulary: vocabulary,
                                    unlearnedLines: unlearnedLines)
            let closed = full.cuttingThinking(keeping: budgetLevel, learnClose: true)
            guard closed.tokens.count > maxTokens else { return (closed, false) }
            let kept = Array(closed.tokens.prefix(maxTokens))
            return (Example(tokens: kept, completionStart: min(closed.completionStart, kept.count),
                            learned: Array(closed.learned.prefix(maxTokens)),
                            thinking: closed.thinking.flatMap { $0.upperBound < kept.count ? $0 : nil }), true)
        }
        let head = vocabulary.prompt(prompt)
        var tokens = head + vocabulary.completion(completion)
        let cut = tokens.count > maxTokens
        if cut { tokens = Array(tokens.prefix(maxTokens)) }
        var learned = [Bool](repeating: false, count: tokens.count)
        var inResult = false
        for i in head.count..<max(head.count, tokens.count) {
            if tokens[i] == vocabulary.markers.resultStart { inResult = true }
            learned[i] = !inResult
            if tokens[i] == vocabulary.markers.resultEnd { inResult = false }
        }
        if !unlearnedLines.isEmpty, let newline = vocabulary.encode("\n").first {
            let unlearned = Set(unlearnedLines)
            var line = 0
            for i in head.count..<max(head.count, tokens.count) {
                if unlearned.contains(line) { learned[i] = false }
                if tokens[i] == newline { line += 1 }
            }
        }
        let start = min(head.count, tokens.count)
        var thinking: Range<Int>?
        if let open = tokens[start...].firstIndex(of: vocabulary.markers.thinkStart),
           let close = tokens[(open + 1)...].firstIndex(of: vocabulary.markers.thinkEnd) {
            thinking = (open + 1)..<close
            if thinkingCut { learned[close] = false }
        }
        return (Example(tokens: tokens, completionStart: start, learned: learned, thinking: thinking), cut)
    }

    /// Reads a JSONL file; a malformed line is reported with its number and what is wrong.
    /// Sequences longer than `maxTokens` are cut (and counted); examples whose prompt alone fills
    /// the context are rejected, since they teach nothing. `budgetLevels` and `briefBelow` as in
    /// `init(worked:…)`; with `briefBelow` above 0 the file must carry brief solutions.
    public static func load(path: String, maxTokens: Int, vocabulary: Vocabulary, budgetLevels: [Int] = [],
                            briefBelow: Int = 0) throws(TrainingError) -> SFTDataset {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .data("cannot read data file '\(path)'")
        }
        var pairs: [Pair] = []
        let lines: [(line: Int, object: [String: Any])]
        do { lines = try JSONLines.objects(data, path: path) } catch { throw .data(error.description) }
        for (lineNumber, object) in lines {
            guard let prompt = object["prompt"] as? String else {
                throw .data("\(path):\(lineNumber): missing string field \"prompt\"")
            }
            guard let completion = object["completion"] as? String else {
                throw .data("\(path):\(lineNumber): missing string field \"completion\"")
            }
            guard let thinkingCut = (object["thinking_cut"] ?? false) as? Bool else {
                throw .data("\(path):\(lineNumber): \"thinking_cut\" must be true or false")
            }
            guard object["brief"] == nil || object["brief"] is String else {
                throw .data("\(path):\(lineNumber): \"brief\" must be a string")
            }
            guard let unlearned = (object["unlearned_lines"] ?? [Int]()) as? [Int], unlearned.allSatisfy({ $0 >= 0 }) else {
                throw .data("\(path):\(lineNumber): \"unlearned_lines\" must be a list of line numbers (0 or more)")
            }
            let level = object["budget_level"]
            guard level == nil || (level as? Int).map(budgetLevels.contains) == true else {
                throw .data("\(path):\(lineNumber): \"budget_level\" must be one of the model's budget levels "
                            + (budgetLevels.isEmpty ? "(it has none: train one with --budget-tags)" : "\(budgetLevels)"))
            }
            // The longest prompt is the one with the longest budget line.
            let longest = BudgetTag.tagged(prompt, level: budgetLevels.max())
            guard vocabulary.prompt(longest).count < maxTokens else {
                throw .data("\(path):\(lineNumber): the prompt alone fills the \(maxTokens)-token context")
            }
            pairs.append(Pair(prompt: prompt, completion: completion, thinkingCut: thinkingCut, brief: object["brief"] as? String,
                              unlearnedLines: unlearned, budgetLevel: level as? Int))
        }
        guard !pairs.isEmpty else { throw .data("data file '\(path)' holds no examples") }
        if briefBelow > 0, !pairs.contains(where: { $0.brief != nil }) {
            throw .data("data file '\(path)' has no brief solutions to show below budget \(briefBelow); write it with `strawberry data --with-brief`")
        }
        return SFTDataset(pairs: pairs, maxTokens: maxTokens, vocabulary: vocabulary, budgetLevels: budgetLevels,
                          briefBelow: briefBelow)
    }

    /// The examples of batch number `step`: each epoch visits every example once, in an order
    /// shuffled from `seed` and the epoch number, so any step's batch is known without replaying.
    /// With `cutThinking` p > 0, each drawn example's thinking is, with probability p, cut after a
    /// uniformly drawn number of its tokens (0 included) and answered at once, so that a model
    /// meets thinking cut by a budget in training; the draw too is a function of seed and step.
    /// With budget levels each drawn example is shown at a level drawn from seed and step: the
    /// largest with probability `budgetTopShare`, otherwise uniformly.
    /// `share` keeps only those sequences of the batch (one rank's part of a data-parallel step);
    /// their loss weights stay those of the whole batch, so the ranks' gradients add up to it.
    public func batch(step: Int, size: Int, seed: UInt64, cutThinking: Float = 0, budgetTopShare: Float = 0,
                      share: Range<Int>? = nil) -> TokenBatch {
        var chosen: [Example] = []
        let topLevel = budgetLevels.indices.max { budgetLevels[$0] < budgetLevels[$1] }
        var cachedEpoch = -1
        var order: [Int] = []
        for i in 0..<size {
            let global = step * size + i
            let epoch = global / examples.count
            if epoch != cachedEpoch {
                var rng = SeededRNG(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9)
                order = Array(examples.indices)
                rng.shuffle(&order)
                cachedEpoch = epoch
            }
            let index = order[global % examples.count]
            var example = examples[index]
            if !leveled.isEmpty {
                var levels = SeededRNG(seed: seed ^ 0xB0D6_E7 &+ UInt64(global) &* 0x9E37_79B9_7F4A_7C15)
                let uniform = Int(levels.next() % UInt64(budgetLevels.count))
                let top = budgetTopShare > 0 && levels.nextUniform() < budgetTopShare
                example = leveled[index][top ? topLevel! : uniform]
            }
            guard cutThinking > 0, let thinking = example.thinking, !thinking.isEmpty else { chosen.append(example); continue }
            var cuts = SeededRNG(seed: seed ^ 0xC0_7713_4C &+ UInt64(global) &* 0x2545_F491_4F6C_DD1D)
            chosen.append(cuts.nextUniform() < cutThinking
                          ? example.cuttingThinking(keeping: Int(cuts.next() % UInt64(thinking.count))) : example)
        }
        let learned = chosen.reduce(0) { $0 + $1.learned.filter { $0 }.count }
        let weight = 1 / Float(max(learned, 1))
        let kept = share.map { Array(chosen[$0]) } ?? chosen
        return TokenBatch(sequences: kept.map(\.tokens),
                          tokenWeights: kept.map { e in e.learned.map { $0 ? weight : 0 } })
    }
}
