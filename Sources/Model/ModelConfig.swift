import Foundation
import Kernels

/// The shape of a Llama-style decoder: widths, depths, heads and context.
public struct ModelConfig: Codable, Equatable, Sendable {
    public var vocabSize: Int
    public var dim: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var ffnDim: Int
    public var contextLength: Int
    public var tiedEmbeddings: Bool
    public var ropeTheta: Double
    public var normEps: Float
    /// Whether the query, key and value projections have biases (Qwen2 does; Llama does not).
    public var attentionBias: Bool
    /// The thinking budgets the model was trained to read in its prompt (`BudgetTag`); empty for
    /// a model that sees no budget.
    public var budgetLevels: [Int] = []
    /// Llama 3.1/3.2's rotary frequency scaling; nil for plain RoPE.
    public var ropeScaling: Llama3RopeScaling?
    /// The width of one attention head when it is not `dim / heads` (Qwen3's `head_dim`); nil otherwise.
    public var explicitHeadDim: Int?
    /// Whether each head's queries and keys are RMS-normalised before the rotation, with one
    /// learned weight per head dimension (Qwen3's `q_norm` and `k_norm`).
    public var qkNorm = false

    public init(vocabSize: Int = Tokenizer.vocabSize, dim: Int, layers: Int, heads: Int, kvHeads: Int,
                ffnDim: Int, contextLength: Int, tiedEmbeddings: Bool = true,
                ropeTheta: Double = 10_000, normEps: Float = 1e-5, attentionBias: Bool = false) {
        self.vocabSize = vocabSize
        self.dim = dim
        self.layers = layers
        self.heads = heads
        self.kvHeads = kvHeads
        self.ffnDim = ffnDim
        self.contextLength = contextLength
        self.tiedEmbeddings = tiedEmbeddings
        self.ropeTheta = ropeTheta
        self.normEps = normEps
        self.attentionBias = attentionBias
    }

    private enum CodingKeys: String, CodingKey {
        case vocabSize, dim, layers, heads, kvHeads, ffnDim, contextLength, tiedEmbeddings, ropeTheta, normEps, attentionBias, budgetLevels, ropeScaling
        case explicitHeadDim = "headDim", qkNorm
    }

    /// Reads a config; `attentionBias`, `budgetLevels`, `ropeScaling`, `headDim` and `qkNorm` are
    /// absent from checkpoints written before they existed.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(vocabSize: try c.decode(Int.self, forKey: .vocabSize), dim: try c.decode(Int.self, forKey: .dim),
                  layers: try c.decode(Int.self, forKey: .layers), heads: try c.decode(Int.self, forKey: .heads),
                  kvHeads: try c.decode(Int.self, forKey: .kvHeads), ffnDim: try c.decode(Int.self, forKey: .ffnDim),
                  contextLength: try c.decode(Int.self, forKey: .contextLength),
                  tiedEmbeddings: try c.decode(Bool.self, forKey: .tiedEmbeddings),
                  ropeTheta: try c.decode(Double.self, forKey: .ropeTheta), normEps: try c.decode(Float.self, forKey: .normEps),
                  attentionBias: try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false)
        budgetLevels = try c.decodeIfPresent([Int].self, forKey: .budgetLevels) ?? []
        ropeScaling = try c.decodeIfPresent(Llama3RopeScaling.self, forKey: .ropeScaling)
        explicitHeadDim = try c.decodeIfPresent(Int.self, forKey: .explicitHeadDim)
        qkNorm = try c.decodeIfPresent(Bool.self, forKey: .qkNorm) ?? false
    }

    /// Writes every field but leaves out `headDim` when it is `dim / heads` and `qkNorm` when
    /// off, so that a config reads the same in a version that has neither.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(dim, forKey: .dim)
        try c.encode(layers, forKey: .layers)
        try c.encode(heads, forKey: .heads)
        try c.encode(kvHeads, forKey: .kvHeads)
        try c.encode(ffnDim, forKey: .ffnDim)
        try c.encode(contextLength, forKey: .contextLength)
        try c.encode(tiedEmbeddings, forKey: .tiedEmbeddings)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encode(normEps, forKey: .normEps)
        try c.encode(attentionBias, forKey: .attentionBias)
        try c.encode(budgetLevels, forKey: .budgetLevels)
        try c.encodeIfPresent(ropeScaling, forKey: .ropeScaling)
        try c.encodeIfPresent(explicitHeadDim, forKey: .explicitHeadDim)
        if qkNorm { try c.encode(qkNorm, forKey: .qkNorm) }
    }

    /// The width of one attention head: `dim / heads` unless the model says otherwise.
    public var headDim: Int { explicitHeadDim ?? dim / heads }
    /// The family this shape belongs to, by Hugging Face's `model_type`, which is also llama.cpp's
    /// architecture name: `qwen3` with per-head q/k norms, `qwen2` with q/k/v biases, else `llama`.
    public var modelType: String { qkNorm ? "qwen3" : attentionBias ? "qwen2" : "llama" }
    /// Width of the fused query/key/value projection output.
    public var qkvDim: Int { (heads + 2 * kvHeads) * headDim }

    /// The most token ids a model may have (also the bound on ids in a tokenizer).
    public static let maxVocabSize = 1 << 22

    /// The largest value each size may take: far beyond any model this engine runs on a CPU,
    /// and small enough that no product of them overflows.
    public static let limits: KeyValuePairs<String, Int> = [
        "vocabSize": maxVocabSize, "dim": 1 << 16, "layers": 1 << 10, "heads": 1 << 10, "kvHeads": 1 << 10,
        "ffnDim": 1 << 18, "contextLength": 1 << 20,
    ]

    private var sizes: [String: Int] {
        ["vocabSize": vocabSize, "dim": dim, "layers": layers, "heads": heads, "kvHeads": kvHeads, "ffnDim": ffnDim,
         "contextLength": contextLength]
    }

    /// Checks the shape is buildable; the message says which field to change.
    public func validate() throws(ModelError) {
        func fail(_ message: String) -> ModelError { .invalidConfig(message) }
        if vocabSize <= 0 || dim <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || ffnDim <= 0 || contextLength <= 0 {
            throw fail("vocabSize, dim, layers, heads, kvHeads, ffnDim and contextLength must all be positive")
        }
        for (name, limit) in Self.limits where sizes[name]! > limit {
            throw fail("\(name) \(sizes[name]!) is larger than \(limit), the most this engine takes")
        }
        if let width = explicitHeadDim {
            if width <= 0 || width > 1 << 12 { throw fail("headDim \(width) must be in 1…4096") }
        } else if dim % heads != 0 {
            throw fail("dim \(dim) is not divisible by heads \(heads)")
        }
        if heads % kvHeads != 0 { throw fail("heads \(heads) is not divisible by kvHeads \(kvHeads)") }
        if headDim % 2 != 0 { throw fail("head dimension \(headDim) must be even for rotary embeddings") }
        if !budgetLevels.isEmpty { try BudgetTag.validate(budgetLevels) }
        if let s = ropeScaling, !(s.factor >= 1 && s.lowFreqFactor > 0 && s.highFreqFactor > s.lowFreqFactor && s.originalContext > 0) {
            throw fail("rope scaling needs factor ≥ 1, 0 < low_freq_factor < high_freq_factor and a positive original context, not \(s)")
        }
    }

    /// Named sizes: `tiny` for tests, `micro`, `small` and `base` for experiments.
    public static let presets: [String: ModelConfig] = [
        "tiny": ModelConfig(dim: 96, layers: 3, heads: 4, kvHeads: 2, ffnDim: 256, contextLength: 256),
        "micro": ModelConfig(dim: 128, layers: 5, heads: 4, kvHeads: 2, ffnDim: 352, contextLength: 256),
        "small": ModelConfig(dim: 256, layers: 4, heads: 8, kvHeads: 4, ffnDim: 688, contextLength: 256),
        "base": ModelConfig(dim: 384, layers: 8, heads: 6, kvHeads: 2, ffnDim: 1024, contextLength: 512),
    ]

    /// The named size, with its context replaced by `contextLength` when given (longer thinking
    /// needs a longer context; the weights do not depend on it, only the cache and the rotary table).
    public static func preset(_ name: String, contextLength: Int? = nil) throws(ModelError) -> ModelConfig {
        guard var config = presets[name] else {
            throw .invalidConfig("unknown preset '\(name)'; choose one of \(presets.keys.sorted().joined(separator: ", "))")
        }
        if let contextLength {
            guard (16...32_768).contains(contextLength) else {
                throw .invalidConfig("context of \(contextLength) tokens is outside 16…32768")
            }
            config.contextLength = contextLength
        }
        return config
    }

    /// Parameters in the model (embedding counted once when tied).
    public var parameterCount: Int { ParameterLayout(config: self).totalCount }

    /// Bytes of a KV cache holding `slots` sequences of the whole context (keys and values, float32).
    public func kvCacheBytes(slots: Int) -> Int { 2 * layers * slots * contextLength * kvHeads * headDim * 4 }

    /// Checks that the weights (twice: a loaded copy and gradients) and a KV cache of `slots`
    /// sequences fit this machine's memory, before any of it is allocated. Call after `validate()`.
    public func checkFitsInMemory(slots: Int = 0) throws(ModelError) {
        let weights = Double(parameterCount) * 4 * 2, cache = Double(kvCacheBytes(slots: slots))
        let available = Double(ProcessInfo.processInfo.physicalMemory)
        guard weights + cache <= available else {
            func gb(_ bytes: Double) -> String { String(format: "%.1f GB", bytes / 1e9) }
            let detail = slots > 0 ? " and a KV cache of \(slots) slots × \(contextLength) tokens (\(gb(cache)))" : ""
            throw .invalidConfig("the weights (\(gb(weights)) with gradients)\(detail) need more than this machine's \(gb(available)) of memory"
                                 + (slots > 0 ? "; lower the slots or the context" : "; check the sizes in config.json"))
        }
    }

    /// Forward FLOPs per token at context position `position` (2 per multiply-add in the
    /// projections and the attention over `position + 1` keys); the backward pass costs twice this.
    public func forwardFlopsPerToken(attendingTo keys: Int) -> Double {
        2.0 * Double(matrixWeightsPerToken) + 4.0 * Double(layers * heads * headDim * keys)
    }

    /// The weights a token's forward pass multiplies by: every layer's projections and the output
    /// head (the embedding lookup reads one row). A decode step reads each of them once, however
    /// many sequences it advances.
    public var matrixWeightsPerToken: Int { layers * (dim * qkvDim + heads * headDim * dim + 3 * dim * ffnDim) + dim * vocabSize }
}
