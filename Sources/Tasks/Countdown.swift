import Kernels

/// Countdown (as in TinyZero and Stream of Search): reach a target from 3 to 5 numbers with
/// `+ - * /`, each number used exactly once, division exact.
///
/// Difficulty is the count of numbers; their range grows with it (1–20, 1–25, 1–30). Every
/// generated problem is solvable, by construction, with the human strategy: the target is built
/// from the numbers with the operations that strategy tries.
public struct Countdown: ReasoningTask {
    public let name = "countdown"
    public let difficulties = 3...5
    /// The order in which the worked solutions search the numbers.
    public let searchOrder: SearchOrder

    /// Where the human strategy's search starts.
    public enum SearchOrder: String, Codable, Sendable, CaseIterable {
        /// Pairs in the order the problem lists the numbers: every step of the trace is determined.
        case listed
        /// The trace first restates the numbers in a random order (fixed per problem) and searches
        /// in that order: the same search, but its first line is a choice — which pair to try
        /// first — that a model imitates as a spread of options and RL can learn to make well.
        case shuffled
        /// As `shuffled`, and the trace also states the order in which it tries `+ - * /` at every
        /// step (random, fixed per problem): a second choice, the one a good opening needs most —
        /// a large target wants `*` first, a small one `-`.
        case shuffledOperations = "shuffled-operations"
    }

    public init(searchOrder: SearchOrder = .listed) { self.searchOrder = searchOrder }

    public static func maxNumber(difficulty: Int) -> Int { [3: 20, 4: 25, 5: 30][difficulty] ?? 20 }

    public func generate(seed: UInt64, difficulty: Int) -> Problem {
        let count = min(max(difficulty, difficulties.lowerBound), difficulties.upperBound)
        var rng = SeededRNG(seed: seed ^ 0xC0DE_D0C5)
        let high = Self.maxNumber(difficulty: count)
        while true {
            let numbers = (0..<count).map { _ in 1 + Int(rng.next() % UInt64(high)) }
            // Combine the numbers in a random order with random valid operations.
            var order = numbers
            rng.shuffle(&order)
            var value = order[0]
            var expression = String(order[0])
            var ok = true
            for n in order.dropFirst() {
                // No ×1, ÷1 or a−a: the human strategy skips them, so it can solve every problem.
                var options: [(Int, String)] = [(value + n, "+")]
                if value > 1 && n > 1 { options.append((value * n, "*")) }
                if value > n { options.append((value - n, "-")) }
                if n > value { options.append((n - value, "r-")) }
                if n > 1 && value % n == 0 { options.append((value / n, "/")) }
                let (result, op) = options[Int(rng.next() % UInt64(options.count))]
                switch op {
                case "r-": expression = "\(n)-(\(expression))"
                case "+", "-": expression = "\(expression)\(op)\(n)"
                default: expression = "(\(expression))\(op)\(n)"
                }
                value = result
                if value > 999 { ok = false; break }
            }
            guard ok, value >= 1, !numbers.contains(value) else { continue }
            let prompt = "Use the numbers \(numbers.map(String.init).joined(separator: " ")) to make \(value) with + - * /, each number once."
            return Problem(task: name, seed: seed, difficulty: count, prompt: prompt, inputs: numbers, target: value,
                           key: expression)
        }
    }

    public func canonical(_ problem: Problem) -> String {
        "\(problem.inputs.sorted().map(String.init).joined(separator: ",")):\(problem.target)"
    }

    public func score(_ problem: Problem, completion: String) -> Score {
        guard let answer = Completion(completion).answer else { return .malformed("thinking never closed") }
        if answer.isEmpty { return .malformed("no answer after the thinking") }
        switch Expression.evaluate(answer) {
        case .failure(let f):
            switch f {
            case .divisionByZero, .inexactDivision, .overflow: return .wrong("invalid arithmetic: \(f)")
            default: return .malformed("not an expression: \(f)")
            }
        case .success(let e):
            if e.literals.sorted() != problem.inputs.sorted() {
                return .wrong("uses \(e.literals.sorted()) instead of each of \(problem.inputs.sorted()) once")
            }
            if e.value != problem.target { return .wrong("\(answer) = \(e.value), not \(problem.target)") }
            return .right("\(answer) = \(problem.target)")
        }
    }

    public func runTool(_ call: String, problem: Problem) -> String { calculator(call) }

    /// Backtracking ("back to …") and the final check ("Check: …").
    public var reflectionMarkers: [String] { ["back to", "Check:"] }

    /// A thinking line `a op b=r yes` (or its calculator form) whose `r` is not the target, or
    /// whose written arithmetic is wrong.
    public func claimsFalsely(_ problem: Problem, completion: String) -> Bool {
        (audit(problem, completion: completion)?.falseClaims ?? 0) > 0
    }

    /// A ` yes` line followed by a check that finds its expression misses the target (`143+19=124
    /// yes`, then `Check: (13*11)+19: 13*11=143, 143+19=162, not 124.`): the checked worked
    /// solution's false claim, which SFT shows but must not teach.
    public func unlearnedLines(_ problem: Problem, completion: String) -> [Int] {
        let lines = completion.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.indices.dropLast().filter { i in
            lines[i].hasSuffix(" yes") && lines[i + 1].hasPrefix("Check: ")
                && lines[i + 1].hasSuffix(", " + Search.refuted(problem.target))
        }
    }

    /// Reads every finished line (ended by a newline or a verdict) of the thinking for steps `a op b=r`
    /// (`, left …`, ` no` or ` yes` after it; the calculator form `<tool>a op b</tool><result>r</result>`
    /// too). A ` yes` line that is not a step at all counts as a false claim.
    public func audit(_ problem: Problem, completion: String) -> ThinkingAudit? {
        var audit = ThinkingAudit()
        guard let thinking = Completion(completion).thinking else { return audit }
        var mistakesSoFar = 0, mistakesBeforeLastTrueClaim = 0
        // Only finished lines: a budget's cut leaves the last one unfinished (`16+14=3`), which is no
        // slip; a last line that ends in its verdict is finished.
        var lines = thinking.split(separator: "\n", omittingEmptySubsequences: false)
        if let last = lines.last, !last.hasSuffix(" yes"), !last.hasSuffix(" no") { lines.removeLast() }
        for raw in lines {
            let line = raw.replacingOccurrences(of: "<tool>", with: "")
                .replacingOccurrences(of: "</tool><result>", with: "=").replacingOccurrences(of: "</result>", with: "")
            let claims = line.hasSuffix(" yes")
            let head = claims ? Substring(line.dropLast(4)) : line.prefix { $0 != "," && $0 != " " }
            let sides = head.split(separator: "=")
            guard sides.count == 2, let stated = Int(sides[1]), case .success(let e) = Expression.evaluate(String(sides[0])) else {
                if claims { audit.falseClaims += 1; mistakesSoFar += 1 }
                continue
            }
            audit.steps += 1
            let slip = e.value != stated
            if slip { audit.slips += 1; mistakesSoFar += 1 }
            if claims {
                if slip || stated != problem.target {
                    audit.falseClaims += 1
                    mistakesSoFar += 1
                } else {
                    audit.stepsToSolution = audit.stepsToSolution ?? audit.steps
                    mistakesBeforeLastTrueClaim = mistakesSoFar
                }
            } else if line.hasSuffix(" no"), !slip, e.value == problem.target {
                audit.misses += 1
                mistakesSoFar += 1
            }
        }
        audit.recovered = mistakesBeforeLastTrueClaim
        return audit
    }

    /// The numbers and the target are in the prompt, so the full verdict is public.
    public func check(_ problem: Problem, completion: String) -> Score? { score(problem, completion: completion) }

    /// The human strategy: depth-first search over pairs in list order (the problem's, or a shuffled
    /// one the trace restates first — `searchOrder`), larger number first, trying
    /// `+ - * /` in that order (or in the shuffled order the first line states), skipping ×1, ÷1,
    /// a−a and inexact division, writing each step, dead end and step back, and finally checking
    /// the found expression. The brief style leaves out the steps back and the check; the hurried
    /// one tries the steps that leave numbers to combine nearest the target first; the checked one
    /// works the found expression out again in its check and, for half of the problems (where it
    /// fits), first writes one last step that misses the target as reaching it, which a check catches.
    public func trace(_ problem: Problem, style: TraceStyle, maxThinkingTokens: Int = 4096) -> String? {
        var numbers = problem.inputs
        var operations: [Character] = ["+", "-", "*", "/"]
        var opening = ""
        if searchOrder != .listed {
            var rng = SeededRNG(seed: problem.seed ^ 0x5EA2_C40D)
            rng.shuffle(&numbers)
            if searchOrder == .shuffledOperations {
                rng.shuffle(&operations)
                opening = " by " + operations.map(String.init).joined(separator: " ")
            }
        }
        let start = numbers.map { Item(value: $0, text: String($0), work: []) }
        func written(falseClaimAt: Int?) -> String? {
            var search = Search(target: problem.target, operations: operations, style: style, limit: maxThinkingTokens)
            search.falseClaimAt = falseClaimAt
            search.write("Target \(problem.target) from \(numbers.map(String.init).joined(separator: " "))\(opening).\n")
            guard let found = search.solve(start), !search.overLimit else { return nil }
            if style == .none { return found.text }
            switch style {
            case .brief: break
            case .checked: search.write(Search.check(found, target: problem.target))
            default: search.write("Check: \(found.text) = \(problem.target), each number once.\n")
            }
            guard !search.overLimit else { return nil }
            return "<think>\(search.text)</think>\(found.text)"
        }
        // A false claim and its check that would not fit leave the checked trace without them, so
        // that it covers nearly the problems the human one does.
        if style == .checked, let claim = Self.falseClaim(problem, start: start, operations: operations),
           let trace = written(falseClaimAt: claim) {
            return trace
        }
        return written(falseClaimAt: nil)
    }

    /// Which of the last steps that miss the target the checked trace of `problem` writes as a false
    /// claim: for half of the problems (fixed per problem) one of those its search writes before
    /// the solution, drawn uniformly; nil for the other half, or when the search meets none.
    static func falseClaim(_ problem: Problem, start: [Item], operations: [Character]) -> Int? {
        var dry = Search(target: problem.target, operations: operations, style: .human, limit: .max)
        guard dry.solve(start) != nil, dry.lastStepMisses > 0 else { return nil }
        var rng = SeededRNG(seed: problem.seed ^ 0xC4EC_F41E)
        guard rng.next() % 2 == 0 else { return nil }
        return Int(rng.next() % UInt64(dry.lastStepMisses))
    }

    /// A number with the expression that made it and the steps that worked it out.
    struct Item { let value: Int; let text: String; let work: [String] }

    /// The written depth-first search.
    struct Search {
        let target: Int
        /// The order in which every step tries the operations.
        let operations: [Character]
        let style: TraceStyle
        let limit: Int
        var text = ""
        var tokens = 0
        var overLimit = false
        /// Last steps written so far that miss the target.
        var lastStepMisses = 0
        /// The checked style: which of those is written as a false claim, then caught by the check.
        var falseClaimAt: Int?

        mutating func write(_ line: String) {
            if style == .none { return }
            text += line
            tokens += ThinkingLength.tokens(line)
            if tokens > limit { overLimit = true }
        }

        /// `a op b = r` as the trace writes it: worked in the text, or asked of the calculator.
        func step(_ a: Int, _ op: Character, _ b: Int, _ r: Int) -> String {
            style == .tool ? "<tool>\(a)\(op)\(b)</tool><result>\(r)</result>" : "\(a)\(op)\(b)=\(r)"
        }

        /// The steps from `items`: each pair, larger number first, with each operation in turn
        /// (no ×1, ÷1, a−a or inexact division), in the order the search tries them.
        func steps(_ items: [Item]) -> [(x: Item, op: Character, y: Item, result: Int, rest: [Item])] {
            var steps: [(x: Item, op: Character, y: Item, result: Int, rest: [Item])] = []
            for i in 0..<items.count {
                for j in (i + 1)..<items.count {
                    let (x, y) = items[i].value >= items[j].value ? (items[i], items[j]) : (items[j], items[i])
                    let rest = items.indices.filter { $0 != i && $0 != j }.map { items[$0] }
                    for op in operations {
                        let r: Int
                        switch op {
                        case "+": r = x.value + y.value
                        case "-": guard x.value > y.value else { continue }; r = x.value - y.value
                        case "*": guard y.value > 1 else { continue }; r = x.value * y.value
                        default: guard y.value > 1, x.value % y.value == 0 else { continue }; r = x.value / y.value
                        }
                        steps.append((x, op, y, r, rest))
                    }
                }
            }
            // In a hurry, a step that leaves numbers to combine is tried nearest the target first
            // (`sorted` is stable: ties keep the order above). The last step keeps its order, so
            // the trace still works out each result before judging it.
            if style == .hurried, items.count > 2 {
                return steps.sorted { abs($0.result - target) < abs($1.result - target) }
            }
            return steps
        }

        mutating func solve(_ items: [Item]) -> Item? {
            for (x, op, y, r, rest) in steps(items) {
                // Only the checked style's check reads the steps back.
                let work = style == .checked ? x.work + y.work + [step(x.value, op, y.value, r)] : []
                let item = Item(value: r, text: Self.join(x.text, op, y.text), work: work)
                if rest.isEmpty {
                    if r == target {
                        write(step(x.value, op, y.value, r) + " yes\n")
                        return item
                    }
                    if lastStepMisses == falseClaimAt {
                        write(step(x.value, op, y.value, target) + " yes\n")
                        write(Self.check(item, target: target))
                    } else {
                        write(step(x.value, op, y.value, r) + " no\n")
                    }
                    lastStepMisses += 1
                } else {
                    let left = ([item] + rest).map { String($0.value) }.joined(separator: " ")
                    write(step(x.value, op, y.value, r) + ", left \(left)\n")
                    if let found = solve([item] + rest) { return found }
                    if style != .brief { write("back to \(items.map { String($0.value) }.joined(separator: " "))\n") }
                }
                if overLimit { return nil }
            }
            return nil
        }

        /// The check that works `item` out again from the numbers: `Check: (11+5)+14: 11+5=16,
        /// 16+14=30, right.`, or `…, not 122.` when it misses the target.
        static func check(_ item: Item, target: Int) -> String {
            let verdict = item.value == target ? "right." : refuted(target)
            return "Check: \(item.text): \(item.work.joined(separator: ", ")), \(verdict)\n"
        }

        /// How a check that finds its expression misses `target` ends.
        static func refuted(_ target: Int) -> String { "not \(target)." }

        /// Joins two sub-expressions, parenthesising compound operands.
        static func join(_ a: String, _ op: Character, _ b: String) -> String {
            func wrap(_ s: String) -> String { s.allSatisfy(\.isNumber) ? s : "(\(s))" }
            return "\(wrap(a))\(op)\(wrap(b))"
        }
    }
}
