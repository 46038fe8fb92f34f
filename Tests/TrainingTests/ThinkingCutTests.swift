import Testing
import Model
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
}
