/// Self-correction measures summed over many samples (an evaluation cell, an RL step, an
/// expert-iteration round), each against what the task's own worked solution does.
public struct SelfCorrection: Codable, Sendable, Equatable {
    /// Samples audited.
    public var samples = 0
    public var steps = 0, slips = 0, falseClaims = 0, misses = 0, recovered = 0
    /// Samples whose thinking reached a true `… yes` (where the worked solution does too), the
    /// steps they wrote to get there, and the steps the worked solution writes for those problems.
    public var searchesFound = 0, stepsToSolution = 0, humanStepsToSolution = 0

    public init() {}

    /// Adds the audit of one sample, with the audit of the task's worked solution for its problem.
    public mutating func add(_ audit: ThinkingAudit, human: ThinkingAudit?) {
        samples += 1
        steps += audit.steps
        slips += audit.slips
        falseClaims += audit.falseClaims
        misses += audit.misses
        recovered += audit.recovered
        if let own = audit.stepsToSolution, let theirs = human?.stepsToSolution {
            searchesFound += 1
            stepsToSolution += own
            humanStepsToSolution += theirs
        }
    }

    public static func + (a: Self, b: Self) -> Self {
        var s = a
        s.samples += b.samples; s.steps += b.steps; s.slips += b.slips; s.falseClaims += b.falseClaims
        s.misses += b.misses; s.recovered += b.recovered; s.searchesFound += b.searchesFound
        s.stepsToSolution += b.stepsToSolution; s.humanStepsToSolution += b.humanStepsToSolution
        return s
    }

    /// Share of arithmetic steps written wrong.
    public var slipRate: Double { Double(slips) / Double(max(steps, 1)) }
    /// False `… yes` claims per sample.
    public var falseClaimRate: Double { Double(falseClaims) / Double(max(samples, 1)) }
    /// Slips, false claims and misses together.
    public var mistakes: Int { slips + falseClaims + misses }
    /// Share of mistakes after which the search still found the target.
    public var recoveryRate: Double { Double(recovered) / Double(max(mistakes, 1)) }
    /// Steps to the solution against the worked solution's on the same problems (below 1: a shorter
    /// search than the human strategy's); 0 when no sample found one.
    public var searchLengthRatio: Double {
        humanStepsToSolution == 0 ? 0 : Double(stepsToSolution) / Double(humanStepsToSolution)
    }
}

extension ReasoningTask {
    /// The tally of the `audits` of samples of one `problem`, each against the task's own human
    /// worked solution, which is written and audited once; empty when there are no audits.
    public func selfCorrection(_ problem: Problem, audits: [ThinkingAudit]) -> SelfCorrection {
        var tally = SelfCorrection()
        guard !audits.isEmpty else { return tally }
        let human = trace(problem, style: .human, maxThinkingTokens: 4096).flatMap { audit(problem, completion: $0) }
        for a in audits { tally.add(a, human: human) }
        return tally
    }

    /// The tally of one completion for `problem`; empty when the task cannot audit its thinking.
    public func selfCorrection(_ problem: Problem, completion: String) -> SelfCorrection {
        selfCorrection(problem, audits: audit(problem, completion: completion).map { [$0] } ?? [])
    }
}
