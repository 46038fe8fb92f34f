import Foundation
import Synchronization
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

    /// The deadline is read from the engine's clock, which this test moves by hand: past the
    /// deadline after the 20th thinking token, so the thinking must end at the next step.
    @Test func deadlineIsHonouredWithinOneStep() throws {
        let seconds = Mutex(0.0)
        let clock: @Sendable () -> Date = { Date(timeIntervalSinceReferenceDate: seconds.withLock { $0 }) }
        // A one-token continuation, so that each step adds one thinking token however the model ends it.
        let budget = Budget(maxThinking: 50, maxAnswer: 3, deadline: 0.05, minThinking: 50, continuation: "\n")
        let request = GenerationRequest(user: "think long", sampling: SamplingOptions(seed: 1), budget: budget)
        let markers = Self.model.vocabulary.markers
        var thought = 0
        let g = try Engine(model: Self.model, clock: clock).generate([request]) { _, token in
            guard token.part == .thinking, token.token != markers.thinkStart, token.token != markers.thinkEnd else { return }
            thought += 1
            if thought == 20 { seconds.withLock { $0 = 0.05 } }
        }[0]
        #expect(g.thinkingCut)
        #expect(g.thinkingTokens == 20, "the thinking went on \(g.thinkingTokens - 20) tokens past the deadline")
        #expect(g.answerTokens <= 3)
        #expect(g.seconds == 0.05)
        // The same request on a clock that stands still thinks to its token budget.
        let unhurried = try Engine(model: Self.model, clock: { Date(timeIntervalSinceReferenceDate: 0) }).generate([request])[0]
        #expect(unhurried.thinkingTokens == 50)
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

    /// Everything but the wall time and the answers at cuts.
    static func expectSame(_ a: Generation, _ b: Generation, _ note: Comment) {
        #expect(a.tokens == b.tokens, note)
        #expect(a.logProbs == b.logProbs && a.forced == b.forced && a.parts == b.parts, note)
        #expect(a.thinkingTokens == b.thinkingTokens && a.answerTokens == b.answerTokens, note)
        #expect(a.thinkingCut == b.thinkingCut && a.finishReason == b.finishReason && a.flops == b.flops, note)
    }

    static func withCuts(_ requests: [GenerationRequest], _ cuts: [Int]) -> [GenerationRequest] {
        requests.map { var r = $0; r.cuts = cuts; return r }
    }

    @Test func cutsAnswerAsRunsWithThoseBudgets() throws {
        let cuts = [0, 3, 11, 30], budget = Budget(maxThinking: 45, maxAnswer: 6)
        var requests = (0..<24).map { i in
            GenerationRequest(user: "Use 3 5 \(i) to make 22", sampling: SamplingOptions(temperature: 1.5, seed: UInt64(i)), budget: budget)
        }
        requests.append(GenerationRequest(user: "2+2", sampling: .greedy, budget: budget))
        // Fewer slots than requests: forks and queued requests share the batch.
        let shared = try Engine(model: Self.model, slots: 5).generate(Self.withCuts(requests, cuts))
        let whole = try Engine(model: Self.model, slots: 5).generate(requests)
        for (c, cut) in cuts.enumerated() {
            let alone = try Engine(model: Self.model, slots: 5).generate(requests.map { var r = $0; r.budget.maxThinking = cut; return r })
            for i in requests.indices { Self.expectSame(shared[i].atCuts[c], alone[i], "request \(i) at cut \(cut)") }
        }
        for i in requests.indices {
            Self.expectSame(shared[i], whole[i], "request \(i) at the full budget")
            #expect(shared[i].atCuts.count == cuts.count && whole[i].atCuts.isEmpty)
        }
        #expect(shared.contains { !$0.thinkingCut && $0.thinkingTokens < 30 }, "a thinking that ends before a cut is covered")
    }

    @Test func batchesOnTheirOwnThreadsGiveOneBatchsGenerations() throws {
        let budget = Budget(maxThinking: 30, maxAnswer: 6)
        var requests = (0..<23).map { i in
            GenerationRequest(user: "Use 3 5 \(i) to make 22", sampling: SamplingOptions(temperature: 1.2, topK: i % 3 == 0 ? 20 : 0, seed: UInt64(i)),
                              budget: budget)
        }
        requests[4].sampling = .greedy
        for i in stride(from: 1, to: requests.count, by: 5) { requests[i].cuts = [0, 9, 20] }
        let one = try ReplicatedDecoding(model: Self.model, replicas: 1, slotsEach: 6, forkSlotsEach: 6).run(requests)
        let three = try ReplicatedDecoding(model: Self.model, replicas: 3, slotsEach: 2, forkSlotsEach: 2).run(requests)
        #expect(one.steps.count == 1 && three.steps.count == 3)
        for i in requests.indices {
            Self.expectSame(three.generations[i], one.generations[i], "request \(i)")
            #expect(three.generations[i].atCuts.count == requests[i].cuts.count)
            for c in requests[i].cuts.indices {
                Self.expectSame(three.generations[i].atCuts[c], one.generations[i].atCuts[c], "request \(i) at cut \(c)")
            }
        }
        // A request that cannot be decoded fails the whole run, whichever batch takes it.
        var bad = requests
        bad[17].cuts = [40]
        #expect(throws: ModelError.self) { try ReplicatedDecoding(model: Self.model, replicas: 3, slotsEach: 2, forkSlotsEach: 2).run(bad) }
    }

    @Test func aForkWithoutAFreeSlotWaitsForOne() throws {
        // Three requests fork at the same steps into one fork slot: two of them wait at each cut.
        let cuts = [0, 1, 2, 7], budget = Budget(maxThinking: 12, maxAnswer: 6)
        let requests = Array(Self.requests(budget).prefix(3))
        let batch = DecodeBatch(model: Self.model, slots: 3, forkSlots: 1)
        for (i, r) in Self.withCuts(requests, cuts).enumerated() { try batch.admit(r, id: i) }
        var results: [Int: Generation] = [:]
        while !batch.isEmpty { for (id, g) in try batch.step() { results[id] = g } }
        for (c, cut) in cuts.enumerated() {
            let alone = try Engine(model: Self.model, slots: 1).generate(requests.map { var r = $0; r.budget.maxThinking = cut; return r })
            for i in requests.indices { Self.expectSame(try #require(results[i]).atCuts[c], alone[i], "request \(i) at cut \(cut)") }
        }
    }

    @Test func cutsThatCannotShareTheThinkingAreRefused() throws {
        let batch = DecodeBatch(model: Self.model, slots: 2, forkSlots: 2)
        func request(_ cuts: [Int], _ change: (inout GenerationRequest) -> Void = { _ in }) -> GenerationRequest {
            var r = GenerationRequest(user: "2+2", sampling: .greedy, budget: Budget(maxThinking: 20, maxAnswer: 4))
            r.cuts = cuts
            change(&r)
            return r
        }
        let task = Countdown()
        let refused = [request([5, 3]), request([4, 4]), request([-1, 3]), request([20]),
                       request([3]) { $0.budget.minThinking = 5 }, request([3]) { $0.budget.deadline = 10 },
                       request([3]) { $0.tool = (task, task.generate(seed: 1, difficulty: 3)) }, request([3]) { $0.thinks = false }]
        for r in refused { #expect(throws: ModelError.self, "\(r.cuts)") { try batch.admit(r, id: 0) } }
        #expect(batch.isEmpty)
        // A model that reads its budget sees a different prompt at each cut, unless the line is fixed.
        var config = ModelConfig.tiny(context: 96)
        config.budgetLevels = [0, 8, 20]
        let reads = DecodeBatch(model: try Transformer(config: config, seed: 3), slots: 1, forkSlots: 1)
        #expect(throws: ModelError.self) { try reads.admit(request([8]), id: 0) }
        try reads.admit(request([8]) { $0.budgetTag = 20 }, id: 0)
        #expect(throws: ModelError.self, "no fork slots") { try DecodeBatch(model: Self.model, slots: 2).admit(request([3]), id: 0) }
        // Cancelling a request drops its forks.
        try batch.admit(request([0, 1]), id: 7)
        _ = try batch.step()
        _ = try batch.step()
        #expect(batch.cancel(id: 7) && batch.isEmpty)
    }

    @Test func promptsThatDoNotFitAreRefused() {
        let long = GenerationRequest(prompt: Array(repeating: 65, count: 200))
        #expect(throws: ModelError.self) { try Engine(model: Self.model).generate([long]) }
    }
}
