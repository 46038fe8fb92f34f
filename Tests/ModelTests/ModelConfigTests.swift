import Foundation
import Testing
import Kernels
import Model

/// A preset's context can be lengthened for longer thinking without changing its weights.
@Suite struct ModelConfigTests {
    @Test func presetWithALongerContextKeepsItsWeightsAndAttendsFurther() throws {
        let standard = try ModelConfig.preset("tiny")
        let long = try ModelConfig.preset("tiny", contextLength: 320)
        #expect(long.contextLength == 320 && standard.contextLength == 256)
        #expect(long.parameterCount == standard.parameterCount)

        // A 300-token sequence, past the preset's own 256, trains and gives finite log-probabilities.
        let model = try Transformer(config: long, seed: 3)
        var rng = SeededRNG(seed: 5)
        let sequence = (0..<300).map { _ in Int32(rng.next() % 256) }
        let batch = TokenBatch(sequences: [sequence], tokenWeights: [sequence.map { _ in 1 / 299 }])
        let result = try model.forwardBackward(batch)
        #expect(result.targetLogProbs.count == 299 && result.targetLogProbs.allSatisfy { $0.isFinite && $0 < 0 })
        #expect(throws: ModelError.self) { try Transformer(config: standard, seed: 3).forwardBackward(batch) }
    }

    /// The weights a token multiplies by are every parameter but the norms (and the biases) when
    /// the head is the embedding; an untied head adds its own matrix, the input embedding is a lookup.
    @Test func theMatrixWeightsPerTokenAreTheProjectionsAndTheHead() throws {
        let micro = try ModelConfig.preset("micro")
        #expect(micro.tiedEmbeddings && !micro.attentionBias)
        #expect(micro.matrixWeightsPerToken == micro.parameterCount - (2 * micro.layers + 1) * micro.dim)
        var untied = micro
        untied.tiedEmbeddings = false
        #expect(untied.matrixWeightsPerToken == micro.matrixWeightsPerToken)
        #expect(untied.parameterCount - untied.matrixWeightsPerToken == micro.vocabSize * micro.dim + (2 * micro.layers + 1) * micro.dim)
        #expect(micro.forwardFlopsPerToken(attendingTo: 0) == 2 * Double(micro.matrixWeightsPerToken))
    }

    @Test func contextOutsideTheSupportedRangeIsRefusedWithTheRange() {
        for bad in [0, 8, 40_000] {
            #expect {
                try ModelConfig.preset("micro", contextLength: bad)
            } throws: { error in
                "\(error)".contains("\(bad) tokens is outside 16…32768")
            }
        }
    }
}
