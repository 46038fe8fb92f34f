import Foundation
import Testing
import TestSupport
import Model
import Tasks
import Training

/// `sft --cut-thinking`: examples whose thinking is cut at a random point and answered at once.
@Suite struct ThinkingCutTests {
    static let vocabulary = Vocabulary.strawberry
    static let example = SFTDataset.example(prompt: "q", completion: "<think>abcdefgh</think>42",
                                            maxTokens: 64, vocabulary: vocabulary).0

    /// The sequence of a one-example batch, and which of its tokens are learned.
    static func sequence(_ batch: TokenBatch) -> (tokens: [Int32], learned: [Bool]) {
        (batch.inputs + [batch.targets.last!], [false] + batch.weights.map { $0 > 0 })
    }

    @Test func findsTheThinking() {
        let text = Self.example.tokens.map { Tokenizer.decode([$0]) }
        #expect(Self.example.thinking.map { text[$0].joined() } == "abcdefgh")
        let cutByContext = SFTDataset.example(prompt: "q", completion: "<think>abcdefgh</think>42", maxTokens: 8,
                                              vocabulary: Self.vocabulary).0
        #expect(cutByContext.thinking == nil, "no </think> left: nothing to cut")
        let answerOnly = SFTDataset.example(prompt: "q", completion: "42", maxTokens: 64, vocabulary: Self.vocabulary).0
        #expect(answerOnly.thinking == nil)
    }

    @Test func cutsKeepAPrefixCloseItUnlearnedAndLearnTheAnswer() {
        let dataset = SFTDataset(examples: [Self.example])
        let markers = Self.vocabulary.markers
        let open = Self.example.thinking!.lowerBound
        var kept = Set<Int>()
        for step in 0..<40 {
            let (tokens, learned) = Self.sequence(dataset.batch(step: step, size: 1, seed: 5, cutThinking: 1))
            let close = tokens.firstIndex(of: markers.thinkEnd)!
            kept.insert(close - open)
            #expect(Array(tokens[open..<close]) == Array(Self.example.tokens[open..<close]),
                    "the thinking kept is a prefix of the original")
            #expect(Array(tokens[close...]) == Array(Self.example.tokens[Self.example.thinking!.upperBound...]),
                    "then </think>, the answer and the end of turn")
            #expect(!learned[close], "the closing </think> is forced by the engine, so it is not learned")
            #expect(learned[(close + 1)...].allSatisfy { $0 }, "the answer after the cut is learned")
            #expect(learned[open..<close].allSatisfy { $0 })
        }
        #expect(kept.min() == 0 && kept.max()! < 8, "cuts fall anywhere from budget 0 to just before the end")
        #expect(kept.count >= 5, "the cut point is drawn anew for each batch")
    }

    @Test func theShareIsRespectedAndDrawsAreReproducible() {
        let dataset = SFTDataset(examples: [Self.example])
        var cut = 0
        for step in 0..<400 {
            let batch = dataset.batch(step: step, size: 1, seed: 9, cutThinking: 0.3)
            #expect(Self.sequence(batch).tokens == Self.sequence(dataset.batch(step: step, size: 1, seed: 9, cutThinking: 0.3)).tokens)
            if Self.sequence(batch).tokens.count < Self.example.tokens.count { cut += 1 }
            #expect(Self.sequence(dataset.batch(step: step, size: 1, seed: 9)).tokens == Self.example.tokens,
                    "no cuts unless asked")
        }
        #expect((80...160).contains(cut), "about 30% of 400 draws are cut, got \(cut)")
    }

    /// A teacher's completion that a budget closed (kept by `distill`) is learned except for the
    /// forced `</think>`; the mark survives the JSONL round trip.
    @Test func aBudgetCutCompletionDoesNotLearnItsForcedClose() throws {
        let problem = Problem(task: "test", seed: 0, difficulty: 1, prompt: "q", key: "42")
        let cut = WorkedExamples.Example(problem: problem, completion: "<think>abcdefgh</think>42", thinkingCut: true)
        let written = WorkedExamples.Example(problem: problem, completion: "<think>abcdefgh</think>42")
        let path = Scratch.path("cut", suffix: ".jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try (try cut.jsonLine() + written.jsonLine()).write(to: URL(fileURLWithPath: path))
        let loaded = try SFTDataset.load(path: path, maxTokens: 64, vocabulary: Self.vocabulary).examples
        let close = Self.example.thinking!.upperBound
        #expect(loaded[1] == Self.example, "an unmarked line is an ordinary worked solution")
        #expect(loaded[0].tokens == Self.example.tokens && loaded[0].thinking == Self.example.thinking)
        #expect(!loaded[0].learned[close] && Self.example.learned[close])
        #expect(loaded[0].learned.enumerated().allSatisfy { $0.offset == close || $0.element == Self.example.learned[$0.offset] },
                "everything else is learned as before")
        let plainLine = String(decoding: try written.jsonLine(), as: UTF8.self)
        #expect(!plainLine.contains("thinking_cut"))
    }
}
