import Foundation
import Testing
import TestSupport
import Model
import Reasoning
import Tasks

@Suite struct EngineTests {
    static let model = try! Transformer(config: ModelConfig.tiny(context: 96), seed: 3)

    static func requests(_ budget: Budget) -> [GenerationRequest] {
        ["2+2", "What is 7*6?", "Use 3 5 7 to make 22", "hello"].enumerated().map { i, text in
            GenerationRequest(user: text, sampling: SamplingOptions(temperature: 1, topK: 50, topP: 0.95, seed: UInt64(i)),
                              budget: budget)
        }
    }

    @Test func batchedGenerationEqualsOneAtATime() throws {
        let budget = Budget(maxThinking: 20, maxAnswer: 8)
        let batched = try Engine(model: Self.model, slots: 4).generate(Self.requests(budget))
        let single = try Self.requests(budget).map { try Engine(model: Self.model, slots: 1).generate([$0])[0] }
        // Fewer slots than requests: sequences queue and reuse freed slots.
        let queued = try Engine(model: Self.model, slots: 2).generate(Self.requests(budget))
        for i in 0..<single.count {
            #expect(batched[i].tokens == single[i].tokens)
            #expect(queued[i].tokens == single[i].tokens)
            #expect(batched[i].logProbs == single[i].logProbs)
        }
    }

    @Test func budgetsAreNeverExceeded() throws {
        for (thinking, answer) in [(0, 4), (5, 3), (17, 1), (40, 10)] {
            let gens = try Engine(model: Self.model, slots: 4).generate(Self.requests(Budget(maxThinking: thinking, maxAnswer: answer)))
            for g in gens {
                #expect(g.thinkingTokens <= thinking, "thinking \(g.thinkingTokens) > \(thinking)")
                #expect(g.answerTokens <= answer, "answer \(g.answerTokens) > \(answer)")
                #expect(g.tokens.first == Tokenizer.Special.thinkStart.rawValue)
                #expect(g.tokens.contains(Tokenizer.Special.thinkEnd.rawValue), "thinking is always closed")
                #expect(g.tokens.count == g.forced.count && g.tokens.count == g.logProbs.count)
                if g.thinkingCut {
                    // A forced `</think>` is marked forced.
                    let i = g.tokens.firstIndex(of: Tokenizer.Special.thinkEnd.rawValue)!
                    #expect(g.forced[i])
                }
                #expect(g.flops > 0)
            }
        }
    }

    @Test func maxCompletionBoundsThinkingAndAnswerTogether() throws {
        for total in [1, 5, 20, 27] {
            let gens = try Engine(model: Self.model).generate(Self.requests(Budget(maxThinking: 20, maxAnswer: 8, maxCompletion: total)))
            for g in gens {
                #expect(g.thinkingTokens + g.answerTokens <= total)
                if g.thinkingTokens + g.answerTokens == total { #expect(g.finishReason == .length) }
            }
        }
    }

    @Test func minimumThinkingAppendsTheContinuation() throws {
        let gens = try Engine(model: Self.model).generate(
            Self.requests(Budget(maxThinking: 30, maxAnswer: 2, minThinking: 30, continuation: "Wait")))
        for g in gens {
            #expect(g.thinkingTokens == 30)
            #expect(g.thinkingCut)
        }
    }

    @Test func deadlineIsHonouredWithinOneStep() throws {
        var stepTimes: [Date] = []
        let request = GenerationRequest(user: "think long", sampling: SamplingOptions(seed: 1),
                                        budget: Budget(maxThinking: 10_000, maxAnswer: 3, deadline: 0.05, minThinking: 10_000))
        // A long context, so that the deadline and not the context ends the thinking.
        let model = try Transformer(config: ModelConfig.tiny(context: 4096), seed: 3)
        let start = Date()
        let g = try Engine(model: model).generate([request]) { _, token in
            if token.token == Tokenizer.Special.thinkEnd.rawValue { stepTimes.append(Date()) }
        }[0]
        #expect(g.thinkingCut)
        let ended = stepTimes.first!.timeIntervalSince(start)
        #expect(ended >= 0.05 && ended < 0.5, "thinking ended after \(ended)s")
        #expect(g.answerTokens <= 3)
    }

    @Test func greedyIsDeterministicAndStreamsEveryToken() throws {
        var streamed: [[Int32]] = [[], []]
        let requests = [GenerationRequest(user: "a", sampling: .greedy, budget: Budget(maxThinking: 12, maxAnswer: 4)),
                        GenerationRequest(user: "b", sampling: .greedy, budget: Budget(maxThinking: 12, maxAnswer: 4),
                                          thinks: false)]
        let first = try Engine(model: Self.model).generate(requests) { i, t in streamed[i].append(t.token) }
        let second = try Engine(model: Self.model).generate(requests)
        #expect(first.map(\.tokens) == second.map(\.tokens))
        #expect(streamed[0] == first[0].tokens && streamed[1] == first[1].tokens)
        #expect(first[1].thinkingTokens == 0 && !first[1].tokens.contains(Tokenizer.Special.thinkStart.rawValue))
    }

    @Test func promptsThatDoNotFitAreRefused() {
        let long = GenerationRequest(prompt: Array(repeating: 65, count: 200))
        #expect(throws: ModelError.self) { try Engine(model: Self.model).generate([long]) }
    }
}
