/// How a worked solution is written.
public enum TraceStyle: String, Codable, Sendable, CaseIterable {
    /// The human strategy written out, every calculation done in the text.
    case human
    /// The same strategy, with each calculation sent to the task's tool:
    /// `<tool>3*7</tool><result>21</result>` (the engine injects the result; it is never trained on).
    case tool
    /// No thinking at all: only the answer (for comparisons).
    case none
    /// The human strategy written for a small budget: the steps, what they leave and their
    /// verdicts (Countdown leaves out the steps back and the final check; programs leave out why a
    /// shape failed). A task with nothing to leave out writes its human trace.
    case brief
    /// The human strategy in a hurry: where the search chooses its next step, it tries first the one
    /// that lands nearest the goal (Countdown: every step but the last, ordered by how far its result
    /// is from the target, which reaches the answer of a three-number problem sooner more often than
    /// not). A task with no such choice writes its human trace.
    case hurried
    /// The human strategy with a check that can fail: the check works the found answer out again,
    /// step by step, and for half of the problems (where it fits) the search first claims a step
    /// reaches the goal when it does not, which the check catches before the search goes on
    /// (Countdown; the false claim is not learned: `unlearnedLines`). A task with no such check
    /// writes its human trace.
    case checked
}

/// A family of problems whose answers can be checked: a seeded generator with a difficulty knob,
/// a verifier that turns a completion into a reward, a writer of human-style worked solutions,
/// and a tool the model may call inside its thinking.
public protocol ReasoningTask: Sendable {
    var name: String { get }
    /// The difficulty levels the generator accepts.
    var difficulties: ClosedRange<Int> { get }

    /// The problem for `seed` at `difficulty`, regardless of split. Same seed, same problem,
    /// on any machine.
    func generate(seed: UInt64, difficulty: Int) -> Problem

    /// The `index`-th problem of a split (see the default implementation).
    func problem(index: Int, difficulty: Int, split: Split, baseSeed: UInt64) -> Problem

    /// Text that identifies a problem by content: problems with equal canonical text are the same.
    func canonical(_ problem: Problem) -> String

    /// Scores a completion (`<think>…</think>answer`, or a bare answer) against the hidden key.
    func score(_ problem: Problem, completion: String) -> Score

    /// A worked solution as completion text, or nil when the strategy cannot write one within
    /// `maxThinkingTokens`.
    func trace(_ problem: Problem, style: TraceStyle, maxThinkingTokens: Int) -> String?

    /// Checks an answer using only what the model can see (no hidden key or hidden tests), for
    /// best-of-n and revision; nil when the task has no such check.
    func check(_ problem: Problem, completion: String) -> Score?

    /// Phrases in a thinking that show it checking a candidate or backtracking after a failed one
    /// (the reflection rate RL watches).
    var reflectionMarkers: [String] { get }

    /// Whether the thinking declares a candidate found that is not (a wrong leaf claimed to reach
    /// the target), so RL can penalise the claim itself rather than every step of a failed search.
    func claimsFalsely(_ problem: Problem, completion: String) -> Bool

    /// The steps and mistakes of a completion's thinking (`ThinkingAudit`), or nil when the task
    /// cannot read its thinking line by line.
    func audit(_ problem: Problem, completion: String) -> ThinkingAudit?

    /// The lines of a worked solution (0 = the line `<think>` opens, counted over the whole
    /// completion) that SFT must not learn: a false claim that the solution itself shows refuted.
    func unlearnedLines(_ problem: Problem, completion: String) -> [Int]

    /// Runs one tool call (the text between `<tool>` and `</tool>`) for `problem` and returns the
    /// result text. Tools see only what the model may see (never the hidden key or tests).
    func runTool(_ call: String, problem: Problem) -> String
}

extension ReasoningTask {
    public func check(_ problem: Problem, completion: String) -> Score? { nil }

    public var reflectionMarkers: [String] { [] }

    public func claimsFalsely(_ problem: Problem, completion: String) -> Bool { false }

    public func audit(_ problem: Problem, completion: String) -> ThinkingAudit? { nil }

    public func unlearnedLines(_ problem: Problem, completion: String) -> [Int] { [] }

    /// Whether a completion's thinking contains one of the task's reflection markers.
    public func reflects(_ completion: String) -> Bool {
        guard let thinking = Completion(completion).thinking else { return false }
        return reflectionMarkers.contains { thinking.contains($0) }
    }

    /// The `index`-th problem of a split: seeds are tried in a fixed order from
    /// `baseSeed + index · 1000` until one lands on `split`, so the result is deterministic.
    public func problem(index: Int, difficulty: Int, split: Split, baseSeed: UInt64 = 0) -> Problem {
        var seed = baseSeed &+ UInt64(index) &* 1000
        while true {
            let p = generate(seed: seed, difficulty: difficulty)
            if Split.of(canonical: canonical(p)) == split { return p }
            seed &+= 1
        }
    }

    public func problems(count: Int, difficulty: Int, split: Split, baseSeed: UInt64 = 0) -> [Problem] {
        (0..<count).map { problem(index: $0, difficulty: difficulty, split: split, baseSeed: baseSeed) }
    }

    /// The calculator shared by the arithmetic tasks: evaluates an integer expression exactly.
    public func calculator(_ call: String) -> String {
        switch Expression.evaluate(call) {
        case .success(let e): return String(e.value)
        case .failure(let f): return "error: \(f)"
        }
    }
}
