import Kernels

/// A Llama-style decoder whose parameters and gradients each live in one flat buffer.
///
/// Training (`forwardBackward`) and generation (`forwardCached`) are extensions in their own
/// files; this type holds the weights and what both share.
public final class Transformer: @unchecked Sendable {
    public let config: ModelConfig
    /// The tokens it reads and writes and its chat format.
    public let vocabulary: Vocabulary
    public let layout: ParameterLayout
    public let parameters: FloatBuffer
    public let gradients: FloatBuffer
    let rope: RopeTable
    var activations: TrainingActivations?
    /// The arithmetic of the linear layers' products in training (`forwardBackward`); set before
    /// training, float32 unless asked (`SFTOptions.matmul`, `GRPOOptions.matmul`).
    public var matmulPrecision = MatmulPrecision.float32
    /// The matrices in bfloat16 when the model was loaded for inference in that precision; the
    /// float32 parameters then hold only the norms and biases.
    let bfloat16: BFloat16Weights?

    /// A model with seeded random weights: normal(0, 0.02) for matrices, 0.02/√(2·layers) for the
    /// projections that write into the residual stream, ones for the norms, zeros for biases.
    public init(config: ModelConfig, seed: UInt64, vocabulary: Vocabulary = .strawberry) throws(ModelError) {
        try Self.validate(config, vocabulary)
        self.config = config
        self.vocabulary = vocabulary
        layout = ParameterLayout(config: config)
        parameters = FloatBuffer(count: layout.totalCount)
        gradients = FloatBuffer(count: layout.totalCount)
        rope = RopeTable(headDim: config.headDim, maxPositions: config.contextLength, theta: config.ropeTheta,
                         scaling: config.ropeScaling)
        bfloat16 = nil
        var rng = SeededRNG(seed: seed)
        let residualScale = 1 / Float(2 * config.layers).squareRoot()
        for tensor in layout.tensors {
            let p = parameters.pointer + tensor.offset
            if tensor.shape.count == 1 {
                p.update(repeating: tensor.name.hasSuffix(".bias") ? 0 : 1, count: tensor.count)
                continue
            }
            let writesResidual = tensor.name.hasSuffix("o_proj.weight") || tensor.name.hasSuffix("down_proj.weight")
            let std: Float = 0.02 * (writesResidual ? residualScale : 1)
            for i in 0..<tensor.count { p[i] = std * rng.nextNormal() }
        }
    }

    /// A model with the given weights (e.g. loaded from a checkpoint).
    public convenience init(config: ModelConfig, parameters values: FloatBuffer, vocabulary: Vocabulary = .strawberry) throws(ModelError) {
        try self.init(config: config, parameters: values, vocabulary: vocabulary, bfloat16: nil)
    }

    init(config: ModelConfig, parameters values: FloatBuffer, vocabulary: Vocabulary, bfloat16: BFloat16Weights?) throws(ModelError) {
        try Self.validate(config, vocabulary)
        self.config = config
        self.vocabulary = vocabulary
        layout = ParameterLayout(config: config)
        guard values.count == layout.totalCount else {
            throw .checkpoint("weights hold \(values.count) floats but the config needs \(layout.totalCount)")
        }
        parameters = values
        gradients = FloatBuffer(count: layout.totalCount)
        rope = RopeTable(headDim: config.headDim, maxPositions: config.contextLength, theta: config.ropeTheta,
                         scaling: config.ropeScaling)
        self.bfloat16 = bfloat16
    }

    /// The same weights (shared, not copied) in a model that reads the budget `levels` in its
    /// prompts (`BudgetTag`); empty levels for one that reads none.
    public func readingBudgets(_ levels: [Int]) throws(ModelError) -> Transformer {
        var changed = config
        changed.budgetLevels = levels
        return try Transformer(config: changed, parameters: parameters, vocabulary: vocabulary, bfloat16: bfloat16)
    }

    /// How the matrices are held: bfloat16 for a model loaded for inference in that precision.
    public var precision: WeightPrecision { bfloat16.map { $0.roundsActivations ? .bfloat16Dot : .bfloat16 } ?? .float32 }

    /// Throws unless the float32 weights are all here: a model loaded in bfloat16 can only decode.
    public func requireFloat32Weights(to purpose: String) throws(ModelError) {
        guard bfloat16 != nil else { return }
        throw .invalidInput("cannot \(purpose): this model holds its matrices in bfloat16 for inference only; "
                            + "load it with --precision float32")
    }

    private static func validate(_ config: ModelConfig, _ vocabulary: Vocabulary) throws(ModelError) {
        try config.validate()
        guard vocabulary.size <= config.vocabSize else {
            throw .invalidConfig("vocabSize \(config.vocabSize) is below the \(vocabulary.size) tokens of the model's vocabulary")
        }
    }

    @inline(__always) func weights(_ offset: Int) -> UnsafeMutablePointer<Float> { parameters.pointer + offset }
    @inline(__always) func grads(_ offset: Int) -> UnsafeMutablePointer<Float> { gradients.pointer + offset }

    /// `out[rows × n] (+)= x[rows × k] · W[n × k]ᵀ`: a linear layer stored as `[out, in]`.
    @inline(__always)
    func linear(_ x: UnsafePointer<Float>, rows: Int, inDim: Int, weight: Int, outDim: Int,
                out: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        Gemm.multiply(m: rows, n: outDim, k: inDim, a: x, lda: inDim, b: weights(weight), ldb: inDim,
                      transposeB: true, c: out, ldc: outDim, accumulate: accumulate, precision: matmulPrecision)
    }

    /// Adds the bias vector at `offset` to each of `rows` rows of width `width`.
    func addBias(_ offset: Int, to x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        let bias = weights(offset)
        for r in 0..<rows { Vector.add(bias, into: x + r &* width, width) }
    }

    /// Copies embedding rows for `tokens` into `out`.
    func embed(_ tokens: UnsafePointer<Int32>, count: Int, into out: UnsafeMutablePointer<Float>) {
        let d = config.dim
        if let table = bfloat16?.embedding {
            for r in 0..<count {
                for i in 0..<d { out[r &* d &+ i] = table.value(row: Int(tokens[r]), column: i) }
            }
            return
        }
        let table = weights(layout.embedding)
        for r in 0..<count { (out + r &* d).update(from: table + Int(tokens[r]) &* d, count: d) }
    }

    func checkTokens(_ tokens: [Int32]) throws(ModelError) {
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
            throw .invalidInput("token id \(bad) is outside the vocabulary 0..<\(config.vocabSize)")
        }
    }
}
