import Foundation
import Testing
import Tasks

@Suite struct CountdownTests {
    let task = Countdown()

    @Test func generatorIsDeterministicAndCoversDifficulties() {
        for d in task.difficulties {
            let a = task.problems(count: 30, difficulty: d, split: .train)
            let b = task.problems(count: 30, difficulty: d, split: .train)
            #expect(a == b)
            for p in a {
                #expect(p.inputs.count == d)
                #expect(p.inputs.allSatisfy { (1...Countdown.maxNumber(difficulty: d)).contains($0) })
                #expect((1...999).contains(p.target))
                // The hidden key really solves it.
                #expect(task.score(p, completion: p.key).correct, "\(p.key) for \(p)")
            }
            #expect(Set(a.map(\.target)).count > 10, "targets vary at difficulty \(d)")
        }
        // A fixed seed gives a fixed problem on every machine.
        let p = task.generate(seed: 0, difficulty: 3)
        #expect(p.inputs == [13, 11, 19] && p.target == 124)
    }

    @Test func shuffledSearchOrderRestatesThePermutationItSearches() {
        let shuffled = Countdown(searchOrder: .shuffled)
        var reordered = 0
        for p in task.problems(count: 60, difficulty: 3, split: .train) {
            let listed = task.trace(p, style: .human, maxThinkingTokens: 100_000)!
            let trace = shuffled.trace(p, style: .human, maxThinkingTokens: 100_000)!
            #expect(shuffled.trace(p, style: .human, maxThinkingTokens: 100_000) == trace, "fixed per problem")
            #expect(shuffled.score(p, completion: trace).correct, "\(trace)")
            func firstLine(_ t: String) -> [Int] {
                let line = t.dropFirst("<think>Target \(p.target) from ".count).prefix { $0 != "." }
                return line.split(separator: " ").map { Int($0)! }
            }
            #expect(firstLine(listed) == p.inputs)
            #expect(firstLine(trace).sorted() == p.inputs.sorted())
            if firstLine(trace) != p.inputs {
                reordered += 1
                // The search then runs over the restated order: its first pair is the first two.
                let order = firstLine(trace)
                let second = trace.split(separator: "\n")[1]
                #expect(second.hasPrefix("\(max(order[0], order[1]))"), "\(trace)")
            }
        }
        #expect((20...55).contains(reordered), "about five in six orders differ from the listed one: \(reordered)")
    }

    @Test func shuffledOperationsAreStatedAndTriedInThatOrder() {
        let chosen = Countdown(searchOrder: .shuffledOperations)
        let shuffled = Countdown(searchOrder: .shuffled)
        var orders = Set<String>()
        for p in task.problems(count: 60, difficulty: 3, split: .train) {
            let trace = chosen.trace(p, style: .human, maxThinkingTokens: 100_000)!
            #expect(chosen.trace(p, style: .human, maxThinkingTokens: 100_000) == trace, "fixed per problem")
            #expect(chosen.score(p, completion: trace).correct, "\(trace)")
            // The first line is the shuffled order's, with the operations' order added.
            let lines = trace.dropFirst("<think>".count).split(separator: "\n")
            let first = shuffled.trace(p, style: .human, maxThinkingTokens: 100_000)!
                .dropFirst("<think>".count).prefix { $0 != "." }
            #expect(lines[0].hasPrefix(first + " by "), "\(trace)")
            let ops = lines[0].dropFirst(first.count + 4).dropLast().split(separator: " ").map { Character(String($0)) }
            #expect(ops.sorted() == ["*", "+", "-", "/"], "\(lines[0])")
            orders.insert(String(ops))
            // Every node tries the operations in the stated order: on one pair of numbers the
            // operators of its steps (the first level's, or the leaves under one of them) rise in it.
            var firstLevel: (pair: String, rank: Int)?
            var leafRank = -1
            for line in lines.dropFirst() where line.first?.isNumber == true {
                let opAt = line.firstIndex { "+-*/".contains($0) }!
                let rank = ops.firstIndex(of: line[opAt])!
                let pair = String(line[..<line.firstIndex(of: "=")!])
                    .split(whereSeparator: { "+-*/".contains($0) }).joined(separator: ",")
                if line.contains(", left") {
                    if firstLevel?.pair == pair { #expect(rank > firstLevel!.rank, "\(trace)") }
                    firstLevel = (pair, rank)
                    leafRank = -1
                } else {
                    #expect(rank > leafRank, "\(trace)")
                    leafRank = rank
                }
            }
        }
        #expect(orders.count >= 12, "the 24 orders are all drawn: \(orders.count) of them in 60 problems")
    }

    @Test func traceLimitsCountToolMarkersAsOneTokenEach() {
        #expect(ThinkingLength.tokens("<tool>2*3</tool><result>6</result> no\n") == 12)
        #expect(ThinkingLength.tokens("2*3=6 no\n") == 9)
        for p in task.problems(count: 20, difficulty: 3, split: .train) {
            for style in [TraceStyle.human, .tool, .brief] {
                let trace = task.trace(p, style: style, maxThinkingTokens: 100_000)!
                let thinking = String(trace.dropFirst("<think>".count)).components(separatedBy: "</think>")[0]
                let length = ThinkingLength.tokens(thinking)
                #expect(task.trace(p, style: style, maxThinkingTokens: length) == trace, "kept at its own length")
                #expect(task.trace(p, style: style, maxThinkingTokens: length - 1) == nil, "skipped one token shorter")
            }
        }
    }

    @Test func falseClaimsAreFoundAndTrueOnesAreNot() {
        for p in task.problems(count: 40, difficulty: 3, split: .train) {
            for style in [TraceStyle.human, .tool, .brief] {
                let trace = task.trace(p, style: style, maxThinkingTokens: 100_000)!
                #expect(!task.claimsFalsely(p, completion: trace), "\(trace)")
            }
        }
        let p = Problem(task: "countdown", seed: 1, difficulty: 3, prompt: "", inputs: [8, 7, 12], target: 140, key: "(8-7)*12")
        let cases: [(String, Bool)] = [
            ("<think>Target 140 from 8 7 12.\n8+7=15, left 15 12\n15*12=190 yes\nCheck: (8+7)*12 = 140\n</think>(8+7)*12", true),
            ("<think>Target 140 from 8 7 12.\n8+7=15, left 15 12\n15*12=180 yes\n</think>(8+7)*12", true),
            ("<think>Target 140 from 8 7 12.\n<tool>15*12</tool><result>180</result> yes\n</think>(8+7)*12", true),
            ("<think>Target 140 from 8 7 12.\n8+7=15, left 15 12\n15*12=180 no\n15-12</think>(8+7)*12", false),
            ("<think>Target 140 from 8 7 12.\n8+12=20, left 20 7\n20*7=140 yes\n</think>(8+12)*7", false),
            ("<think>Target 140 from 8 7 12.\nwhatever yes\n</think>(8+12)*7", true),
        ]
        for (completion, claimsFalsely) in cases {
            #expect(task.claimsFalsely(p, completion: completion) == claimsFalsely, "\(completion)")
        }
    }

    @Test func theWorkedSolutionIsAuditedAsFlawless() {
        for p in task.problems(count: 40, difficulty: 3, split: .train) {
            for style in [TraceStyle.human, .tool, .brief] {
                let trace = task.trace(p, style: style, maxThinkingTokens: 100_000)!
                let audit = task.audit(p, completion: trace)!
                let steps = trace.components(separatedBy: "\n").filter { ($0.contains("=") || $0.contains("<tool>")) && !$0.hasPrefix("Check") }.count
                #expect(audit.steps == steps && audit.steps > 0, "\(trace)")
                #expect(audit.mistakes == 0 && audit.recovered == 0, "\(trace)")
                #expect(audit.stepsToSolution == audit.steps, "the search ends at its first true yes: \(trace)")
            }
        }
    }

    @Test func slipsFalseClaimsMissesAndRecoveryAreCounted() {
        let p = Problem(task: "countdown", seed: 1, difficulty: 3, prompt: "", inputs: [8, 7, 12], target: 140, key: "(8-7)*12")
        func audit(_ lines: String) -> ThinkingAudit { task.audit(p, completion: "<think>Target 140 from 8 7 12.\n\(lines)</think>x")! }
        // A slip in a middle step, a false claim built on it, then the search goes on and finds 140.
        let recovered = audit("8+7=16, left 16 12\n16*12=140 yes\nback to 8 7 12\n8+12=20, left 20 7\n20*7=140 yes\n")
        #expect(recovered.steps == 4 && recovered.slips == 2 && recovered.falseClaims == 1 && recovered.misses == 0)
        #expect(recovered.recovered == 3 && recovered.stepsToSolution == 4)
        // A solution passed by: 20*7 is 140, and the thinking says no; nothing found afterwards.
        let missed = audit("8+12=20, left 20 7\n20*7=140 no\n20+7=27 no\n")
        #expect(missed.steps == 3 && missed.mistakes == 1 && missed.misses == 1 && missed.recovered == 0)
        #expect(missed.stepsToSolution == nil)
        // A wrong "no" that is only a slip is a slip, not a miss; a claim that is no step at all is false.
        #expect(audit("8+12=20, left 20 7\n20*7=141 no\n") == { var a = ThinkingAudit(); a.steps = 2; a.slips = 1; return a }())
        #expect(audit("the answer is here yes\n").falseClaims == 1)
        // A budget's cut leaves the last line unfinished: it is not read.
        #expect(audit("8+12=20, left 20 7\n20*7=14") == { var a = ThinkingAudit(); a.steps = 1; return a }())
        #expect(audit("8+12=20, left 20 7\n20*7=141 yes").falseClaims == 1, "a verdict finishes a line")
        #expect(task.audit(p, completion: "(8+12)*7") == ThinkingAudit(), "no thinking, nothing to audit")
        #expect(Arithmetic().audit(p, completion: "<think>1+1=3 yes\n</think>2") == nil, "a task that cannot read its thinking")
    }

    @Test func selfCorrectionComparesTheSearchWithTheWorkedSolution() {
        let p = task.problems(count: 1, difficulty: 3, split: .train)[0]
        let trace = task.trace(p, style: .human, maxThinkingTokens: 100_000)!
        let own = task.selfCorrection(p, completion: trace)
        #expect(own.samples == 1 && own.searchesFound == 1 && own.searchLengthRatio == 1)
        // A completion that answers at once, without a search, is audited but finds nothing.
        let blind = task.selfCorrection(p, completion: "<think></think>\(p.key)")
        #expect(blind.samples == 1 && blind.searchesFound == 0 && blind.searchLengthRatio == 0)
        let both = own + blind
        #expect(both.samples == 2 && both.steps == own.steps && both.searchLengthRatio == 1)
    }

    @Test func trainAndTestNeverShareAProblem() {
        for d in task.difficulties {
            let train = Set(task.problems(count: 400, difficulty: d, split: .train).map(task.canonical))
            let test = Set(task.problems(count: 100, difficulty: d, split: .test).map(task.canonical))
            #expect(train.isDisjoint(with: test))
            #expect(test.count > 80, "test problems are mostly distinct")
        }
    }

    @Test func everyTraceScoresOneWithItsOwnVerifier() {
        var written = [3: 0, 4: 0, 5: 0]
        for d in task.difficulties {
            for p in task.problems(count: 40, difficulty: d, split: .train) {
                for style in TraceStyle.allCases {
                    // Five-number searches can run past any sensible length; those are dropped.
                    guard let completion = task.trace(p, style: style, maxThinkingTokens: 100_000) else { continue }
                    #expect(task.score(p, completion: completion).reward == 1, "\(style): \(completion)")
                    written[d, default: 0] += 1
                }
            }
        }
        let all = 40 * TraceStyle.allCases.count
        #expect(written[3] == all && written[4] == all, "three and four numbers always fit: \(written)")
        #expect(written[5]! > all / 2)
    }

    @Test func traceShowsSearchBacktrackingAndCheck() {
        let p = task.generate(seed: 0, difficulty: 3)
        let trace = task.trace(p, style: .human, maxThinkingTokens: 4096)!
        #expect(trace.hasPrefix("<think>Target 124 from 13 11 19.\n13+11=24, left 24 19\n"))
        #expect(trace.contains(" no\n") && trace.contains("back to 13 11 19\n") && trace.contains("Check: "))
        #expect(trace.hasSuffix("</think>(13*11)-19"))
        // The length cap drops traces that would run over.
        #expect(task.trace(p, style: .human, maxThinkingTokens: 50) == nil)
        let tool = task.trace(p, style: .tool, maxThinkingTokens: 4096)!
        #expect(tool.contains("<tool>13*11</tool><result>143</result>"))
    }

    /// The brief solution is the human search without its steps back and its final check: the
    /// same steps, numbers left and verdicts, the same answer, in fewer tokens.
    @Test func theBriefTraceIsTheHumanSearchWithoutItsNotes() throws {
        for p in task.problems(count: 40, difficulty: 3, split: .train) {
            let human = try #require(task.trace(p, style: .human, maxThinkingTokens: 4096))
            let brief = try #require(task.trace(p, style: .brief, maxThinkingTokens: 4096))
            let kept = human.components(separatedBy: "\n")
                .filter { !$0.hasPrefix("back to ") && !$0.hasPrefix("Check: ") }
            #expect(brief.components(separatedBy: "\n") == kept, "\(brief)")
            #expect(Completion(brief).answer == Completion(human).answer)
            #expect(ThinkingLength.tokens(brief) < ThinkingLength.tokens(human))
        }
        let p = task.generate(seed: 0, difficulty: 3)
        #expect(task.trace(p, style: .brief, maxThinkingTokens: 4096)!.hasPrefix("<think>Target 124 from 13 11 19.\n13+11=24, left 24 19\n24+19=43 no\n"))
    }

    /// The hurried search tries the steps that leave numbers to combine nearest the target first
    /// (ties in the human order) and keeps the last step's order; on three numbers it reaches the
    /// answer sooner than the human search more often than not (on four the first step's distance
    /// says little, and it is level).
    @Test func theHurriedTraceTriesTheStepNearestTheTargetFirst() throws {
        let p = task.generate(seed: 0, difficulty: 3)  // 13 11 19 → 124: 13*11=143 is nearest
        #expect(task.trace(p, style: .hurried, maxThinkingTokens: 4096)!.hasPrefix(
            "<think>Target 124 from 13 11 19.\n13*11=143, left 143 19\n143+19=162 no\n143-19=124 yes\nCheck: "))
        for p in task.problems(count: 40, difficulty: 4, split: .train) {
            let hurried = try #require(task.trace(p, style: .hurried, maxThinkingTokens: 100_000))
            // The steps from the starting numbers, in the order written: nearest the target first.
            let firstSteps = hurried.components(separatedBy: "\n").filter { $0.contains(", left ") && $0.split(separator: " ").count == 5 }
            let distances = firstSteps.map { line in abs(Int(line.split(separator: "=")[1].split(separator: ",")[0])! - p.target) }
            #expect(distances == distances.sorted(), "\(firstSteps)")
            #expect(task.score(p, completion: hurried).reward == 1)
        }
        var sooner = 0, later = 0, humanTokens = 0, hurriedTokens = 0
        for p in task.problems(count: 200, difficulty: 3, split: .train) {
            let human = try #require(task.trace(p, style: .human, maxThinkingTokens: 100_000))
            let hurried = try #require(task.trace(p, style: .hurried, maxThinkingTokens: 100_000))
            let (h, q) = (ThinkingLength.tokens(human), ThinkingLength.tokens(hurried))
            if q < h { sooner += 1 } else if q > h { later += 1 }
            humanTokens += h
            hurriedTokens += q
        }
        #expect(sooner > later && 10 * hurriedTokens < 9 * humanTokens,
                "hurried shorter on \(sooner), longer on \(later) of 200; \(hurriedTokens) tokens against \(humanTokens)")
    }

    /// The checked trace is the human search whose check works the answer out again; for about half
    /// of the problems one last step that misses the target is first written as reaching it, and
    /// the check that follows says so before the search goes on. Put back, it is the human trace.
    @Test func theCheckedTraceCatchesTheFalseClaimItWrites() throws {
        let p = task.generate(seed: 0, difficulty: 3)
        #expect(task.trace(p, style: .checked, maxThinkingTokens: 4096)!.hasSuffix(
            "Check: (13*11)-19: 13*11=143, 143-19=124, right.\n</think>(13*11)-19"))
        var withClaim = 0, withMisses = 0
        for p in task.problems(count: 200, difficulty: 3, split: .train) {
            let human = try #require(task.trace(p, style: .human, maxThinkingTokens: 4096))
            let checked = try #require(task.trace(p, style: .checked, maxThinkingTokens: 4096))
            #expect(Completion(checked).answer == Completion(human).answer)
            var lines = checked.components(separatedBy: "\n"), claims = 0
            if let i = lines.firstIndex(where: { $0.hasSuffix(" yes") }), lines[i + 1].hasSuffix(", not \(p.target).") {
                // `24+19=124 yes` then `Check: (13+11)+19: 13+11=24, 24+19=43, not 124.`: put back as `24+19=43 no`.
                let step = lines[i].dropLast(4).split(separator: "=")[0]
                #expect(lines[i + 1].contains(", \(step)="), "\(lines[i + 1])")
                let worked = lines[i + 1].components(separatedBy: ", ").dropLast().last!
                lines[i...(i + 1)] = ["\(worked) no"]
                claims += 1
            }
            #expect(lines.filter { $0.hasSuffix(", not \(p.target).") }.isEmpty, "one false claim at most: \(checked)")
            let check = try #require(lines.firstIndex { $0.hasPrefix("Check: ") })
            #expect(lines[check].hasSuffix(", right."))
            lines[check] = "Check: \(Completion(human).answer!) = \(p.target), each number once."
            #expect(lines.joined(separator: "\n") == human)
            let audit = try #require(task.audit(p, completion: checked))
            #expect(audit.falseClaims == claims && audit.recovered == audit.mistakes, "\(audit)")
            if human.contains(" no\n") { withMisses += 1 }
            withClaim += claims
        }
        #expect(withClaim * 100 > withMisses * 35 && withClaim * 100 < withMisses * 65, "\(withClaim) of \(withMisses)")
        // Under a tight limit the claim is left out where it would not fit, so the checked solutions
        // cover nearly the problems the human ones do (the longer final check drops a few).
        let problems = task.problems(count: 400, difficulty: 3, split: .train)
        let human = problems.filter { task.trace($0, style: .human, maxThinkingTokens: 170) != nil }.count
        let checked = problems.filter { task.trace($0, style: .checked, maxThinkingTokens: 170) != nil }.count
        #expect(checked <= human && checked * 100 >= human * 95, "\(checked) checked, \(human) human of 400 fit")
    }

    @Test func verifierRejectsWrongMalformedAndAdversarialAnswers() {
        let p = task.generate(seed: 0, difficulty: 3)  // 13 11 19 → 124
        let cases: [(String, Double)] = [
            ("<think>x</think>(13*11)-19", 1),
            ("(13*11)-19", 1),
            ("<think>x</think>13*11-19<|end|>", 1),
            ("<think>x</think>13+11+19", 0.1),          // wrong value
            ("<think>x</think>(13*13)-19", 0.1),        // reused number, one missing
            ("<think>x</think>13*11", 0.1),             // a number unused
            ("<think>x</think>(13*11)-19+0", 0.1),      // an extra number
            ("<think>x</think>13/(11-11)*19", 0.1),     // division by zero
            ("<think>x</think>13/11*19", 0.1),          // inexact division
            ("<think>x</think>999999999*999999999*999999999", 0.1),  // overflow
            ("<think>x</think>1234567890123", 0),       // absurd literal
            ("<think>x</think>", 0),                    // no answer
            ("<think>(13*11)-19", 0),                   // thinking never closed (truncated)
            ("<think>x</think>13 times 11 minus 19", 0),
            ("<think>x</think>((((13*11)-19)", 0),
            ("<think>x</think>" + String(repeating: "(", count: 100) + "1" + String(repeating: ")", count: 100), 0),
            ("<think>x</think>" + String(repeating: "1+", count: 300) + "1", 0),
            ("<think>x</think>13**11", 0),
            ("<think>x</think>١٣*11-19", 0),
        ]
        for (completion, reward) in cases {
            #expect(task.score(p, completion: completion).reward == reward, "\(completion.prefix(60))")
        }
    }

    @Test func calculatorToolEvaluatesOrExplains() {
        let p = task.generate(seed: 0, difficulty: 3)
        #expect(task.runTool("13*11", problem: p) == "143")
        #expect(task.runTool(" (7+5)/3 ", problem: p) == "4")
        #expect(task.runTool("7/2", problem: p).hasPrefix("error: 7/2 is not a whole number"))
        #expect(task.runTool("1/0", problem: p) == "error: division by zero")
        #expect(task.runTool("rm -rf /", problem: p).hasPrefix("error:"))
    }
}

@Suite struct ExpressionFuzzTests {
    @Test func randomInputNeverCrashes() {
        var state: UInt64 = 12345
        let alphabet = Array("0123456789+-*/() x9999999999".utf8)
        for _ in 0..<20_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let length = Int(state >> 58)
            var bytes: [UInt8] = []
            for _ in 0..<length {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(alphabet[Int(state >> 33) % alphabet.count])
            }
            switch Expression.evaluate(String(decoding: bytes, as: UTF8.self)) {
            case .success(let e): #expect(e.literals.count <= bytes.count)
            case .failure: break
            }
        }
    }
}
