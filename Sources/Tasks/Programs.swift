import Foundation

import Kernels

/// Programs from unit tests: a few input → output examples of a hidden function over integers or
/// short integer lists; the answer is a program in the small language of `ProgramParser`, with
/// the input called `x`. The reward is 1 when every hidden test passes (0.1 when the program runs
/// but fails some, 0 when it does not parse); the count passed is reported as partial credit.
///
/// Difficulty 1 is one operation, 2 a list operation followed by another. (Three in a row made
/// the written search thousands of lines long and generation slow, so it is not offered.)
public struct Programs: ReasoningTask {
    public let name = "programs"
    public let difficulties = 1...2
    public static let visibleTests = 3
    public static let hiddenTests = 6

    public init() {}

    /// One building block: a program with `X` for its input and `A` for a small constant.
    struct Stage {
        let pattern: String
        let input: Kind, output: Kind
        let constants: ClosedRange<Int>?

        func text(input inner: String, constant: Int?) -> String {
            var t = pattern.replacingOccurrences(of: "X", with: inner)
            if let constant { t = t.replacingOccurrences(of: "A", with: String(constant)) }
            return t
        }
    }

    enum Kind { case int, list }

    static let stages: [Stage] = [
        Stage(pattern: "X+A", input: .int, output: .int, constants: 1...9),
        Stage(pattern: "X*A", input: .int, output: .int, constants: 2...9),
        Stage(pattern: "X*X+A", input: .int, output: .int, constants: 0...9),
        Stage(pattern: "X%A", input: .int, output: .int, constants: 2...9),
        Stage(pattern: "if X>A then X else A", input: .int, output: .int, constants: 0...9),
        Stage(pattern: "abs(X-A)", input: .int, output: .int, constants: 1...9),
        Stage(pattern: "map(y -> y+A, X)", input: .list, output: .list, constants: 1...9),
        Stage(pattern: "map(y -> y*A, X)", input: .list, output: .list, constants: 2...9),
        Stage(pattern: "map(y -> y*y, X)", input: .list, output: .list, constants: nil),
        Stage(pattern: "filter(y -> y>A, X)", input: .list, output: .list, constants: 0...8),
        Stage(pattern: "filter(y -> y%2==A, X)", input: .list, output: .list, constants: 0...1),
        Stage(pattern: "reverse(X)", input: .list, output: .list, constants: nil),
        Stage(pattern: "sort(X)", input: .list, output: .list, constants: nil),
        Stage(pattern: "sum(X)", input: .list, output: .int, constants: nil),
        Stage(pattern: "len(X)", input: .list, output: .int, constants: nil),
        Stage(pattern: "max(X)", input: .list, output: .int, constants: nil),
        Stage(pattern: "min(X)", input: .list, output: .int, constants: nil),
    ]

    /// Candidate programs in the human order: shorter pipelines first, stages in table order.
    /// Each is a list of stage indices applied left to right.
    static func pipelines(input: Kind, output: Kind, maxLength: Int) -> [[Int]] {
        var result: [[Int]] = []
        var frontier: [([Int], Kind)] = [([], input)]
        for _ in 0..<maxLength {
            var next: [([Int], Kind)] = []
            for (path, kind) in frontier {
                for (i, s) in stages.enumerated() where s.input == kind {
                    // Only one integer stage: int → int programs are a single operation.
                    if s.input == .int && !path.isEmpty { continue }
                    next.append((path + [i], s.output))
                }
            }
            result += next.filter { $0.1 == output }.map(\.0)
            frontier = next.filter { $0.1 == .list }
        }
        return result
    }

    static func program(_ path: [Int], constants: [Int?]) -> String {
        var text = "x"
        for (i, s) in path.enumerated() { text = stages[s].text(input: text, constant: constants[i]) }
        return text
    }

    static func constantChoices(_ path: [Int]) -> [[Int?]] {
        var choices: [[Int?]] = [[]]
        for s in path {
            let options: [Int?] = stages[s].constants.map { Array($0).map { Optional($0) } } ?? [nil]
            choices = choices.flatMap { c in options.map { c + [$0] } }
        }
        return choices
    }

    public func generate(seed: UInt64, difficulty: Int) -> Problem {
        let level = min(max(difficulty, difficulties.lowerBound), difficulties.upperBound)
        var rng = SeededRNG(seed: seed ^ 0x9806_2A11)
        let interpreter = ProgramInterpreter()
        while true {
            // A random pipeline of exactly `level` stages ending in any kind.
            let intProgram = level == 1 && rng.next() % 3 == 0
            var path: [Int] = []
            var kind: Kind = intProgram ? .int : .list
            for step in 0..<level {
                let options = Self.stages.indices.filter {
                    Self.stages[$0].input == kind && (step == level - 1 || Self.stages[$0].output == .list)
                }
                let pick = options[Int(rng.next() % UInt64(options.count))]
                path.append(pick)
                kind = Self.stages[pick].output
            }
            let constants: [Int?] = path.map { s in
                Self.stages[s].constants.map { $0.lowerBound + Int(rng.next() % UInt64($0.count)) }
            }
            let hidden = Self.program(path, constants: constants)
            var inputs: [ProgramValue] = []
            while inputs.count < Self.visibleTests + Self.hiddenTests {
                let v: ProgramValue = intProgram ? .int(Int(rng.next() % 19) - 9)
                    : .list((0..<(1 + Int(rng.next() % 5))).map { _ in Int(rng.next() % 10) })
                if !inputs.contains(v) { inputs.append(v) }
            }
            var tests: [ProgramTest] = []
            var ok = true
            for (i, input) in inputs.enumerated() {
                guard case .success(let out) = interpreter.run(hidden, input: input) else { ok = false; break }
                tests.append(ProgramTest(input: input.description, output: out.description, visible: i < Self.visibleTests))
            }
            // Visible examples must pin the function down: the first candidate the human search
            // accepts must also pass the hidden tests, and the outputs must not all be equal.
            guard ok, Set(tests.map(\.output)).count > 1 else { continue }
            let problem = Problem(task: name, seed: seed, difficulty: level, prompt: Self.prompt(tests), key: hidden,
                                  tests: tests)
            guard let found = search(problem, style: .none, limit: .max).answer,
                  score(problem, completion: found).correct else { continue }
            return problem
        }
    }

    static func prompt(_ tests: [ProgramTest]) -> String {
        "Write a program f(x) such that " + tests.filter(\.visible).map { "f(\($0.input))=\($0.output)" }.joined(separator: ", ") + "."
    }

    public func canonical(_ problem: Problem) -> String { problem.prompt }

    public func score(_ problem: Problem, completion: String) -> Score {
        guard let answer = Completion(completion).answer else { return .malformed("thinking never closed") }
        guard case .success(let node) = ProgramParser.parse(answer) else {
            return .malformed("not a program: \(ProgramParser.parse(answer))")
        }
        let hidden = problem.tests.filter { !$0.visible }
        let passed = Self.passing(node, hidden)
        var s = passed == hidden.count ? Score.right("passes all \(hidden.count) hidden tests")
            : Score.wrong("passes \(passed) of \(hidden.count) hidden tests")
        s.testsPassed = passed
        s.testsTotal = hidden.count
        return s
    }

    /// Rejecting a candidate that fails an example.
    public var reflectionMarkers: [String] { ["reject"] }

    /// The verdict on the visible examples only.
    public func check(_ problem: Problem, completion: String) -> Score? {
        Self.visibleCheck(problem, completion: completion)
    }

    static func visibleCheck(_ problem: Problem, completion: String) -> Score {
        guard let answer = Completion(completion).answer, case .success(let node) = ProgramParser.parse(answer) else {
            return .malformed("not a program")
        }
        let visible = problem.tests.filter(\.visible)
        let passed = passing(node, visible)
        var s = passed == visible.count ? Score.right("passes the \(visible.count) visible examples")
            : Score.wrong("passes \(passed) of \(visible.count) visible examples")
        s.testsPassed = passed
        s.testsTotal = visible.count
        return s
    }

    static func passing(_ node: ProgramNode, _ tests: [ProgramTest]) -> Int {
        let interpreter = ProgramInterpreter()
        return tests.filter { t in
            guard let input = ProgramValue.parse(t.input), case .success(let out) = interpreter.run(node, input: input) else { return false }
            return out.description == t.output
        }.count
    }

    /// The test runner: runs a candidate program on the visible examples only.
    public func runTool(_ call: String, problem: Problem) -> String {
        guard case .success(let node) = ProgramParser.parse(call) else { return "error: \(ProgramParser.parse(call))" }
        let visible = problem.tests.filter(\.visible)
        let interpreter = ProgramInterpreter()
        var report: [String] = []
        for t in visible {
            guard let input = ProgramValue.parse(t.input) else { continue }
            switch interpreter.run(node, input: input) {
            case .success(let out): report.append(out.description == t.output ? "ok" : "f(\(t.input))=\(out), want \(t.output)")
            case .failure(let e): report.append("f(\(t.input)): \(e)")
            }
        }
        let passed = report.filter { $0 == "ok" }.count
        return passed == visible.count ? "all \(passed) pass" : report.first { $0 != "ok" }! + " (\(passed)/\(visible.count) pass)"
    }

    /// The human strategy: try candidate shapes from short to long; for each, look for constants
    /// that fit every visible example; reject with the first failing example, accept the first fit.
    /// The brief style leaves out the failing example and the count of examples passed.
    public func trace(_ problem: Problem, style: TraceStyle, maxThinkingTokens: Int = 4096) -> String? {
        let result = search(problem, style: style, limit: maxThinkingTokens)
        guard let answer = result.answer else { return nil }
        if style == .none { return answer }
        return "<think>\(result.text)</think>\(answer)"
    }

    func search(_ problem: Problem, style: TraceStyle, limit: Int) -> (answer: String?, text: String) {
        let visible = problem.tests.filter(\.visible).compactMap { t in ProgramValue.parse(t.input).map { ($0, t.output) } }
        guard let first = visible.first else { return (nil, "") }
        let input: Kind = { if case .int = first.0 { return .int } else { return .list } }()
        let output: Kind = first.1.hasPrefix("[") ? .list : .int
        let interpreter = ProgramInterpreter()
        var text = ""
        for path in Self.pipelines(input: input, output: output, maxLength: difficulties.upperBound) {
            let shape = Self.program(path, constants: path.map { Self.stages[$0].constants == nil ? nil : -1 })
                .replacingOccurrences(of: "-1", with: "A")
            var accepted: String?
            var firstMiss = ""
            for constants in Self.constantChoices(path) {
                let candidate = Self.program(path, constants: constants)
                guard case .success(let node) = ProgramParser.parse(candidate) else { continue }
                var miss: String?
                for (value, want) in visible {
                    let got = interpreter.run(node, input: value)
                    let gotText = (try? got.get())?.description ?? "error"
                    if gotText != want { miss = "f(\(value))=\(gotText), want \(want)"; break }
                }
                if let miss { if firstMiss.isEmpty { firstMiss = miss } } else { accepted = candidate; break }
            }
            if style != .none {
                if style == .brief {
                    text += "try \(shape): " + (accepted.map { "\($0), accept\n" } ?? "reject\n")
                } else if let accepted {
                    let check = style == .tool ? "<tool>\(accepted)</tool><result>all \(visible.count) pass</result>"
                        : "all \(visible.count) examples pass"
                    text += "try \(shape): \(accepted) \(check), accept\n"
                } else {
                    text += "try \(shape): " + (Self.stages[path.last!].constants == nil && path.allSatisfy { Self.stages[$0].constants == nil }
                        ? "\(firstMiss), reject\n" : "no constant fits, reject\n")
                }
                if ThinkingLength.tokens(text) > limit { return (nil, text) }
            }
            if let accepted { return (accepted, text) }
        }
        return (nil, text)
    }
}
