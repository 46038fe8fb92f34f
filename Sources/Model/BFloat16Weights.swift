import Kernels

/// A model's matrices — its linear layers and its embedding — in bfloat16, for inference only.
/// A model loaded with them (`Checkpoint.loadModel(_:precision: .bfloat16)`) keeps none of these
/// in float32, so it decodes but cannot be trained, saved or exported.
final class BFloat16Weights: @unchecked Sendable {
    /// Where a matrix lies in the parameters: q, k and v are one matrix, as are gate and up.
    struct Region {
        let offset: Int, rows: Int, columns: Int
        var end: Int { offset + rows * columns }
    }

    let qkv: [BFloat16Matrix], out: [BFloat16Matrix], gateUp: [BFloat16Matrix], down: [BFloat16Matrix]
    let embedding: BFloat16Matrix
    /// The embedding itself when the model ties them.
    let lmHead: BFloat16Matrix
    /// Whether activations are rounded to bfloat16 to meet these matrices (`WeightPrecision.bfloat16Dot`).
    let roundsActivations: Bool

    /// Every matrix of a model of `config`, in the order of the parameters.
    static func regions(_ layout: ParameterLayout, _ c: ModelConfig) -> [Region] {
        var regions = [Region(offset: layout.embedding, rows: c.vocabSize, columns: c.dim)]
        for b in layout.blocks {
            regions += [Region(offset: b.qkv, rows: c.qkvDim, columns: c.dim), Region(offset: b.out, rows: c.dim, columns: c.heads * c.headDim),
                        Region(offset: b.gateUp, rows: 2 * c.ffnDim, columns: c.dim), Region(offset: b.down, rows: c.dim, columns: c.ffnDim)]
        }
        if !c.tiedEmbeddings { regions.append(Region(offset: layout.lmHead, rows: c.vocabSize, columns: c.dim)) }
        return regions
    }

    /// The matrices of a model of `config`, each taken from `matrices` by its offset.
    init(_ layout: ParameterLayout, _ config: ModelConfig, matrices: [Int: BFloat16Matrix], roundsActivations: Bool) {
        self.roundsActivations = roundsActivations
        qkv = layout.blocks.map { matrices[$0.qkv]! }
        out = layout.blocks.map { matrices[$0.out]! }
        gateUp = layout.blocks.map { matrices[$0.gateUp]! }
        down = layout.blocks.map { matrices[$0.down]! }
        embedding = matrices[layout.embedding]!
        lmHead = matrices[layout.lmHead]!
    }
}
