import Testing
import Tasks

@Suite struct ProgramsTests {
    let task = Programs()

    @Test func problemsAreDeterministicSolvableAndSplit() {
        for d in task.difficulties {
            let ps = task.problems(count: 15, difficulty: d, split: .train)
            #expect(ps == task.problems(count: 15, difficulty: d, split: .train))
            for p in ps {
                #expect(p.tests.filter(\.visible).count == Programs.visibleTests)
                #expect(p.tests.filter { !$0.visible }.count == Programs.hiddenTests)
                #expect(Set(p.tests.map(\.input)).count == p.tests.count, "inputs are distinct")
                #expect(task.score(p, completion: p.key).correct, "the hidden program passes its own tests")
                for t in p.tests.filter({ !$0.visible }) { #expect(!p.prompt.contains("f(\(t.input))=")) }
            }
            let test = Set(task.problems(count: 10, difficulty: d, split: .test).map(task.canonical))
            #expect(test.isDisjoint(with: Set(ps.map(task.canonical))))
        }
    }

    @Test func tracesScoreOneAndShowRejectedCandidates() {
        var rejected = 0
        for d in 1...2 {
            for p in task.problems(count: 15, difficulty: d, split: .train) {
                for style in TraceStyle.allCases {
                    guard let t = task.trace(p, style: style, maxThinkingTokens: 100_000) else {
                        Issue.record("no trace for \(p.prompt)")
                        continue
                    }
                    #expect(task.score(p, completion: t).reward == 1, "\(t)")
                    if t.contains(", reject\n") { rejected += 1 }
                    if style == .brief {
                        let lines = Completion(t).thinking!.split(separator: "\n")
                        #expect(lines.dropLast().allSatisfy { $0.hasPrefix("try ") && $0.hasSuffix(": reject") }, "\(t)")
                        #expect(lines.last!.hasSuffix(", accept"), "\(t)")
                    }
                }
            }
        }
        #expect(rejected > 10)
    }

    @Test func verifierGivesPartialCreditAndRejectsGarbage() {
        let p = task.problems(count: 1, difficulty: 1, split: .train)[0]   // f(x) = x*x+9
        #expect(p.key == "x*x+9")
        let good = task.score(p, completion: "<think>…</think>x*x+9")
        #expect(good.reward == 1 && good.testsPassed == 6 && good.testsTotal == 6)
        let near = task.score(p, completion: "<think>…</think>if x>3 then 0 else x*x+9")
        #expect(near.reward == 0.1 && near.testsPassed! > 0 && near.testsPassed! < 6)
        #expect(task.score(p, completion: "<think>…</think>x*x+").reward == 0)
        #expect(task.score(p, completion: "<think>…</think>").reward == 0)
        #expect(task.score(p, completion: "<think>x*x+9").reward == 0)
        #expect(task.score(p, completion: "<think>…</think>y -> y").reward == 0.1)
        #expect(task.score(p, completion: "<think>…</think>x/0").reward == 0.1)
    }

    @Test func testRunnerToolSeesOnlyVisibleExamples() {
        let p = task.problems(count: 1, difficulty: 1, split: .train)[0]
        #expect(task.runTool("x*x+9", problem: p) == "all 3 pass")
        #expect(task.runTool("x", problem: p).contains("(0/3 pass)"))
        #expect(task.runTool("x +", problem: p).hasPrefix("error:"))
    }
}

/// The interpreter is the sandbox: whatever the program, it returns a verdict.
@Suite struct InterpreterSandboxTests {
    let interpreter = ProgramInterpreter()

    @Test func languageWorks() {
        let cases: [(String, ProgramValue, String)] = [
            ("let y = x*2 in y+1", .int(4), "9"),
            ("if x > 2 then x else 0-x", .int(-3), "3"),
            ("fold((a, y) -> a+y*y, 0, x)", .list([1, 2, 3]), "14"),
            ("sort(reverse(filter(y -> y%2==1, x)))", .list([5, 2, 3, 1]), "[1,3,5]"),
            ("map(y -> y*-1, range(3))", .int(0), "[0,-1,-2]"),
            ("len(tail(x)) + head(x) + max(x) - min(x) + abs(0-7)", .list([4, 9]), "17"),
            ("[x, x+1, 3]", .int(1), "[1,2,3]"),
        ]
        for (program, input, expected) in cases {
            #expect((try? interpreter.run(program, input: input).get())?.description == expected, "\(program)")
        }
    }

    @Test func hostileProgramsAreStopped() {
        let cases: [(String, String)] = [
            ("fold((a, y) -> a + len(range(10000)), 0, range(10000))", "limit exceeded"),
            ("map(y -> len(map(z -> z, range(10000))), range(10000))", "limit exceeded"),
            ("fold((a, y) -> a*a+1, 2, range(100))", "overflow"),
            ("x / 0", "division by zero"),
            ("range(100000000)", "range needs"),
            ("head([])", "empty list"),
            ("map(3, [1])", "expected a function"),
            ("len(5)", "needs a list"),
            ("unknownfn(x)", "unknown function"),
            ("y + 1", "unknown name"),
            (String(repeating: "(", count: 500) + "x" + String(repeating: ")", count: 500), "nested deeper"),
            (String(repeating: "-", count: 500) + "x", "nested deeper"),
            (String(repeating: "x+", count: 1500) + "x", "longer than 2000"),
            ("999999999999 * 999999999999 * 99", "overflow"),
            ("1234567890123", "number too long"),
            ("x -> x", "returns a function"),
            ("import os", "unexpected"),
            ("x; rm -rf /", "unexpected character"),
        ]
        for (program, expected) in cases {
            switch interpreter.run(program, input: .int(3)) {
            case .success(let v): Issue.record("\(program.prefix(40)) returned \(v)")
            case .failure(let e): #expect(e.description.contains(expected), "\(program.prefix(40)): \(e)")
            }
        }
    }

    @Test func fuzzedProgramsAlwaysReturnAVerdict() {
        let pieces = ["x", "y", "1", "0", "9", "+", "-", "*", "/", "%", "(", ")", "[", "]", ",", "->", "==", "<",
                      "map(", "filter(", "fold(", "range(", "len(", "sum(", "if ", " then ", " else ", "let ", " in ",
                      "=", "(a, y) -> ", "y -> ", "sort(", "head(", "99999999999"]
        var state: UInt64 = 7
        var values = 0
        for _ in 0..<5000 {
            var program = ""
            state = state &* 6364136223846793005 &+ 1442695040888963407
            for _ in 0..<(1 + Int(state >> 59)) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                program += pieces[Int(state >> 33) % pieces.count]
            }
            if case .success = interpreter.run(program, input: .list([1, 2, 3])) { values += 1 }
        }
        #expect(values > 0)
    }
}
