import Foundation
import Testing
import Model
import Reasoning
import Tasks
import TestSupport
import Training

/// A model imported from Hugging Face (Qwen2 layout, its own BPE vocabulary and ChatML turns)
/// goes through the same pipeline as Strawberry's own: SFT teaches it to think, the engine runs
/// the thinking rules on its marker tokens, and GRPO rolls it out and checkpoints it with its vocabulary.
@Suite struct ImportedModelTests {
    @Test func importedQwen2LearnsToThinkAndTrainsWithRL() throws {
        let dir = Scratch.path("imported")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TinyHuggingFaceModel.write(.qwen2, to: dir + "/hf")
        let model = try HuggingFaceImport.load(dir + "/hf")
        let v = model.vocabulary
        #expect(v.format == .chatML)

        let completion = "<think>the sum is on</think>yes"
        let example = SFTDataset.example(prompt: "is it on?", completion: completion, maxTokens: 64, vocabulary: v).0
        #expect(example.tokens.prefix(example.completionStart) == ArraySlice(v.prompt("is it on?")))
        var options = SFTOptions(steps: 80, learningRate: 1e-2, seed: 1)
        options.batchSize = 2
        options.warmupSteps = 5
        options.weightDecay = 0
        options.checkpointEvery = 10_000
        let trainer = SFTTrainer(model: model, dataset: SFTDataset(examples: [example]), options: options,
                                 runDirectory: dir + "/sft")
        for _ in 0..<options.steps { try trainer.trainStep() }

        let g = try Engine(model: model).generate([GenerationRequest(user: "is it on?", sampling: .greedy,
                                                                     budget: Budget(maxThinking: 30, maxAnswer: 8))])[0]
        #expect(g.text == completion, "\(g.text)")
        #expect(g.answerText == "yes" && g.finishReason == .stop)
        #expect(g.tokens.last == v.markers.endOfTurn)
        // A budget cut forces the model's own `</think>` token.
        let cut = try Engine(model: model).generate([GenerationRequest(user: "is it on?", sampling: .greedy,
                                                                       budget: Budget(maxThinking: 2, maxAnswer: 8))])[0]
        #expect(cut.thinkingCut && cut.tokens.contains(v.markers.thinkEnd))

        var rl = GRPOOptions()
        rl.problemsPerStep = 2
        rl.groupSize = 4
        rl.budget = Budget(maxThinking: 12, maxAnswer: 6)
        rl.klCoefficient = 0.05
        rl.dynamicSampling = false
        let grpo = try GRPOTrainer(model: model, task: Countdown(), options: rl, runDirectory: dir + "/rl")
        let step = try grpo.trainStep()
        #expect(step.thinkingTokens > 0 && step.thinkingTokens <= 12 && step.answerTokens <= 6)
        try grpo.saveCheckpoint()
        #expect(try Checkpoint.loadModel(dir + "/rl").vocabulary.markers == v.markers)
    }
}
