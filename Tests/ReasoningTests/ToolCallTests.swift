import Foundation
import Testing
import TestSupport
import Model
import Reasoning
import Tasks
import Training

/// A model taught to call the calculator gets the tool's result injected as forced tokens.
@Suite struct ToolCallTests {
    @Test func engineRunsToolCallsAndMarksTheResultForced() throws {
        // Teach a tiny model one completion that calls the tool. The result tokens carry no loss,
        // so the model cannot have learned to write them itself.
        let completion = "<think><tool>13*11</tool><result>143</result>ok</think>143"
        let example = SFTDataset.example(prompt: "q", completion: completion, maxTokens: 64, vocabulary: .strawberry).0
        var options = SFTOptions()
        options.steps = 120
        options.batchSize = 2
        options.learningRate = 1e-2
        options.warmupSteps = 5
        options.weightDecay = 0
        options.checkpointEvery = 10_000
        let model = try Transformer(config: ModelConfig.tiny(dim: 48, ffn: 96, context: 64), seed: 1)
        let runDirectory = Scratch.path("tool")
        defer { try? FileManager.default.removeItem(atPath: runDirectory) }
        let trainer = SFTTrainer(model: model, dataset: SFTDataset(examples: [example]), options: options,
                                 runDirectory: runDirectory)
        for _ in 0..<options.steps { try trainer.trainStep() }

        let task = Countdown()
        let problem = task.generate(seed: 0, difficulty: 3)
        let request = GenerationRequest(user: "q", sampling: .greedy, budget: Budget(maxThinking: 40, maxAnswer: 8),
                                        tool: (task, problem))
        let g = try Engine(model: model).generate([request])[0]
        #expect(g.toolCalls == 1)
        #expect(g.text.hasPrefix("<think><tool>13*11</tool><result>143</result>"), "\(g.text)")
        let start = g.tokens.firstIndex(of: Tokenizer.Special.resultStart.rawValue)!
        let end = g.tokens.firstIndex(of: Tokenizer.Special.resultEnd.rawValue)!
        #expect(g.forced[start...end].allSatisfy { $0 }, "injected result tokens are marked forced")
        // Without a tool the call goes unanswered.
        let bare = try Engine(model: model).generate([GenerationRequest(user: "q", sampling: .greedy,
                                                                        budget: Budget(maxThinking: 40, maxAnswer: 8))])[0]
        #expect(bare.toolCalls == 0)
        let forcedInBare = zip(bare.tokens, bare.forced).filter(\.1).map(\.0)
        #expect(forcedInBare.allSatisfy { $0 == Tokenizer.Special.thinkStart.rawValue || $0 == Tokenizer.Special.thinkEnd.rawValue })
    }
}
