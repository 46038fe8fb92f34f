import Kernels

/// Everything the training forward pass keeps for the backward pass, plus the backward scratch.
///
/// Allocated for a capacity (`batchSize × length`) and reused for any batch that fits, so batches
/// of varying length do not reallocate; each call sets the shape it uses.
final class TrainingActivations {
    /// Per-block activations.
    struct Block {
        let rstdAttn: FloatBuffer, normedAttn: FloatBuffer, qkv: FloatBuffer
        /// Attention's probabilities, kept for the backward pass while they fit `keptProbabilityBytes`.
        let probs: FloatBuffer?
        let attnOut: FloatBuffer, mid: FloatBuffer, rstdMLP: FloatBuffer, normedMLP: FloatBuffer
        let gateUp: FloatBuffer, act: FloatBuffer
        /// Queries and keys before their per-head norm, and each head's rstd (models with `qkNorm`).
        let qkSaved: FloatBuffer?, qkRstd: FloatBuffer?
    }

    let capacityBatch: Int
    let capacityLength: Int
    var batchSize: Int
    var length: Int
    /// Residual stream entering each block, and leaving the last: `layers + 1` buffers.
    let residual: [FloatBuffer]
    let blocks: [Block]
    let rstdFinal: FloatBuffer, normedFinal: FloatBuffer, logits: FloatBuffer
    // Backward scratch.
    let dResidual: FloatBuffer, dNormed: FloatBuffer, dQKV: FloatBuffer, dAttnOut: FloatBuffer
    let dGateUp: FloatBuffer, dAct: FloatBuffer, dLogits: FloatBuffer
    let targetLogProbs: FloatBuffer

    /// Bytes the probabilities of every layer may take (`CausalAttention`): within it they are kept,
    /// which saves computing them again (10–16% of a step's tokens/s for `small` at 16 × 1,024 tokens
    /// on an Ice Lake); beyond it, where `length²` would fill the memory, they are recomputed (there
    /// peak memory fell from 3.4 to 1.4 GB).
    static let keptProbabilityBytes = 4 << 30

    init(config c: ModelConfig, batchSize: Int, length: Int) {
        self.batchSize = batchSize
        self.length = length
        capacityBatch = batchSize
        capacityLength = length
        let rows = batchSize * length
        let attnWidth = c.heads * c.headDim
        residual = (0...c.layers).map { _ in FloatBuffer(count: rows * c.dim) }
        let probabilities = batchSize * c.heads * length * length
        let keepsProbabilities = c.layers * probabilities * MemoryLayout<Float>.size <= Self.keptProbabilityBytes
        blocks = (0..<c.layers).map { _ in
            Block(rstdAttn: FloatBuffer(count: rows), normedAttn: FloatBuffer(count: rows * c.dim),
                  qkv: FloatBuffer(count: rows * c.qkvDim), probs: keepsProbabilities ? FloatBuffer(count: probabilities) : nil,
                  attnOut: FloatBuffer(count: rows * attnWidth), mid: FloatBuffer(count: rows * c.dim),
                  rstdMLP: FloatBuffer(count: rows), normedMLP: FloatBuffer(count: rows * c.dim),
                  gateUp: FloatBuffer(count: rows * 2 * c.ffnDim), act: FloatBuffer(count: rows * c.ffnDim),
                  qkSaved: c.qkNorm ? FloatBuffer(count: rows * (c.heads + c.kvHeads) * c.headDim) : nil,
                  qkRstd: c.qkNorm ? FloatBuffer(count: rows * (c.heads + c.kvHeads)) : nil)
        }
        rstdFinal = FloatBuffer(count: rows)
        normedFinal = FloatBuffer(count: rows * c.dim)
        logits = FloatBuffer(count: rows * c.vocabSize)
        dResidual = FloatBuffer(count: rows * c.dim)
        dNormed = FloatBuffer(count: rows * c.dim)
        dQKV = FloatBuffer(count: rows * c.qkvDim)
        dAttnOut = FloatBuffer(count: rows * attnWidth)
        dGateUp = FloatBuffer(count: rows * 2 * c.ffnDim)
        dAct = FloatBuffer(count: rows * c.ffnDim)
        dLogits = FloatBuffer(count: rows * c.vocabSize)
        targetLogProbs = FloatBuffer(count: rows)
    }

    /// Whether a `batchSize × length` batch fits in these buffers.
    func fits(batchSize: Int, length: Int) -> Bool {
        batchSize * length <= capacityBatch * capacityLength
            && (blocks.first?.probs == nil || batchSize * length * length <= capacityBatch * capacityLength * capacityLength)
    }
}
