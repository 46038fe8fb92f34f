import Testing
import Tasks

@Suite struct ArithmeticTests {
    let task = Arithmetic()

    @Test func problemsAreDeterministicAndHaveTheRightDigits() {
        for d in task.difficulties {
            let ps = task.problems(count: 20, difficulty: d, split: .train)
            #expect(ps == task.problems(count: 20, difficulty: d, split: .train))
            for p in ps {
                #expect(String(p.inputs[0]).count == d && String(p.inputs[1]).count == d)
                #expect(p.target == (p.inputs[2] == 1 ? p.inputs[0] * p.inputs[1] : p.inputs[0] + p.inputs[1]))
            }
            #expect(Set(ps.map { $0.inputs[2] }).count == 2, "both operations appear at \(d) digits")
        }
    }

    @Test func splitsAreDisjoint() {
        let train = Set(task.problems(count: 300, difficulty: 2, split: .train).map(task.canonical))
        let test = Set(task.problems(count: 60, difficulty: 2, split: .test).map(task.canonical))
        #expect(train.isDisjoint(with: test))
    }

    @Test func tracesScoreOneAndShowTheColumns() {
        for d in task.difficulties {
            for p in task.problems(count: 15, difficulty: d, split: .train) {
                for style in TraceStyle.allCases {
                    let t = task.trace(p, style: style, maxThinkingTokens: 100_000)!
                    #expect(task.score(p, completion: t).correct, "\(t)")
                }
            }
        }
        let p = Problem(task: "arithmetic", seed: 0, difficulty: 3, prompt: "What is 129+919?", inputs: [129, 919, 0],
                        target: 1048, key: "1048")
        #expect(task.trace(p, style: .human, maxThinkingTokens: 999)
                == "<think>129+919\n9+9=18 write 8 carry 1\n2+1+1=4 write 4\n1+9=10 write 0 carry 1\nwrite 1\n= 1048\n</think>1048")
    }

    @Test func verifierRejectsWrongAndMalformedAnswers() {
        let p = task.generate(seed: 3, difficulty: 2)
        #expect(task.score(p, completion: "<think></think>\(p.target)").reward == 1)
        #expect(task.score(p, completion: "<think></think>\(p.target + 1)").reward == 0.1)
        #expect(task.score(p, completion: "<think></think>-\(p.target)").reward == 0)
        #expect(task.score(p, completion: "<think></think>\(p.target).0").reward == 0)
        #expect(task.score(p, completion: "<think></think>99999999999999999999999").reward == 0)
        #expect(task.score(p, completion: "<think>\(p.target)").reward == 0)
        #expect(task.score(p, completion: "").reward == 0)
    }
}
