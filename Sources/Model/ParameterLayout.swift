/// Where each named tensor lives inside the model's one flat parameter buffer.
///
/// The fused projections are laid out so that each Hugging Face tensor is a contiguous slice:
/// `q_proj`, `k_proj` and `v_proj` are consecutive row blocks of the fused QKV matrix, and
/// `gate_proj`, `up_proj` those of the fused gate/up matrix. Gradients and optimizer moments
/// use the same offsets in buffers of the same size. Attention biases, when present, are likewise
/// one contiguous `[q | k | v]` vector, and Qwen3's per-head query and key norm weights one
/// contiguous `[q_norm | k_norm]` pair of `headDim` each.
public struct ParameterLayout: Sendable {
    /// One named tensor: its offset and shape in the flat buffer and whether weight decay applies.
    public struct Tensor: Sendable, Equatable {
        public let name: String
        public let offset: Int
        public let shape: [Int]
        public let decays: Bool
        public var count: Int { shape.reduce(1, *) }
    }

    /// Offsets of one transformer block's weights.
    public struct Block: Sendable {
        public let attnNorm: Int, qkv: Int, out: Int, mlpNorm: Int, gateUp: Int, down: Int
        /// The fused `[q | k | v]` bias, when the config has attention biases.
        public let qkvBias: Int?
        /// The query norm's weight, followed by the key norm's (`headDim` each), when the config has them.
        public let qkNorm: Int?
    }

    public let tensors: [Tensor]
    public let blocks: [Block]
    public let embedding: Int
    public let finalNorm: Int
    public let lmHead: Int
    public let totalCount: Int

    public init(config c: ModelConfig) {
        var tensors: [Tensor] = []
        var offset = 0
        func add(_ name: String, _ shape: [Int], decays: Bool) -> Int {
            let start = offset
            tensors.append(Tensor(name: name, offset: start, shape: shape, decays: decays))
            offset += shape.reduce(1, *)
            return start
        }
        let hd = c.headDim
        embedding = add("model.embed_tokens.weight", [c.vocabSize, c.dim], decays: true)
        var blocks: [Block] = []
        for l in 0..<c.layers {
            let p = "model.layers.\(l)."
            let attnNorm = add(p + "input_layernorm.weight", [c.dim], decays: false)
            let qkv = add(p + "self_attn.q_proj.weight", [c.heads * hd, c.dim], decays: true)
            _ = add(p + "self_attn.k_proj.weight", [c.kvHeads * hd, c.dim], decays: true)
            _ = add(p + "self_attn.v_proj.weight", [c.kvHeads * hd, c.dim], decays: true)
            var qkvBias: Int?
            if c.attentionBias {
                qkvBias = add(p + "self_attn.q_proj.bias", [c.heads * hd], decays: false)
                _ = add(p + "self_attn.k_proj.bias", [c.kvHeads * hd], decays: false)
                _ = add(p + "self_attn.v_proj.bias", [c.kvHeads * hd], decays: false)
            }
            var qkNorm: Int?
            if c.qkNorm {
                qkNorm = add(p + "self_attn.q_norm.weight", [hd], decays: false)
                _ = add(p + "self_attn.k_norm.weight", [hd], decays: false)
            }
            let out = add(p + "self_attn.o_proj.weight", [c.dim, c.heads * hd], decays: true)
            let mlpNorm = add(p + "post_attention_layernorm.weight", [c.dim], decays: false)
            let gateUp = add(p + "mlp.gate_proj.weight", [c.ffnDim, c.dim], decays: true)
            _ = add(p + "mlp.up_proj.weight", [c.ffnDim, c.dim], decays: true)
            let down = add(p + "mlp.down_proj.weight", [c.dim, c.ffnDim], decays: true)
            blocks.append(Block(attnNorm: attnNorm, qkv: qkv, out: out, mlpNorm: mlpNorm, gateUp: gateUp, down: down,
                                qkvBias: qkvBias, qkNorm: qkNorm))
        }
        finalNorm = add("model.norm.weight", [c.dim], decays: false)
        lmHead = c.tiedEmbeddings ? embedding : add("lm_head.weight", [c.vocabSize, c.dim], decays: true)
        self.blocks = blocks
        self.tensors = tensors
        totalCount = offset
    }

    public func tensor(named name: String) -> Tensor? { tensors.first { $0.name == name } }
}
