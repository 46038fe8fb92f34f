import Foundation

/// Writes a model as a GGUF file (version 3) for llama.cpp, as the architecture its
/// `ModelConfig.modelType` names (`llama`, `qwen2`, `qwen3`): the metadata llama.cpp reads;
/// tensors under its names — for `llama` the q/k rows permuted from rotate-half RoPE (Hugging
/// Face's layout, and Strawberry's) to llama.cpp's interleaved pairs, and Llama 3's rope scaling
/// as the `rope_freqs` tensor; `qwen2` and `qwen3` keep rotate-half (llama.cpp's NeoX RoPE); the
/// vocabulary (`GGUFVocabulary`) and the thinking chat template. Weights are F32, F16 or Q8_0; norms and biases stay F32, and a matrix
/// whose rows are not whole Q8_0 blocks is stored F16, as llama.cpp's own quantiser does.
public enum GGUFExport {
    /// How the weight matrices are stored (norms and biases are F32 in every file).
    public enum Precision: String, Sendable, CaseIterable {
        case f32, f16, q8_0

        /// `general.file_type`: llama.cpp's ALL_F32, MOSTLY_F16, MOSTLY_Q8_0.
        var fileType: UInt32 {
            switch self {
            case .f32: return 0
            case .f16: return 1
            case .q8_0: return 7
            }
        }
    }

    public static func write(_ model: Transformer, to path: String, precision: Precision, name: String) throws(ModelError) {
        try model.requireFloat32Weights(to: "export to GGUF")
        let c = model.config
        let arch = c.modelType
        if arch != "llama" && c.ropeScaling != nil || arch == "qwen3" && c.attentionBias {
            throw .checkpoint("GGUF export of a \(arch) model with \(arch == "qwen3" && c.attentionBias ? "q/k/v biases" : "Llama 3 rope scaling") is not supported; export it with --format hf instead")
        }
        let vocabulary = try GGUFVocabulary(model.vocabulary, rows: c.vocabSize)
        var w = GGUFWriter()
        var kv: [(String, GGUFWriter.Value)] = [
            ("general.architecture", .string(arch)),
            ("general.name", .string(name)),
            ("general.file_type", .uint32(precision.fileType)),
            ("general.alignment", .uint32(UInt32(GGUFWriter.alignment))),
            ("\(arch).context_length", .uint32(UInt32(c.contextLength))),
            ("\(arch).embedding_length", .uint32(UInt32(c.dim))),
            ("\(arch).block_count", .uint32(UInt32(c.layers))),
            ("\(arch).feed_forward_length", .uint32(UInt32(c.ffnDim))),
            ("\(arch).rope.dimension_count", .uint32(UInt32(c.headDim))),
            ("\(arch).attention.key_length", .uint32(UInt32(c.headDim))),
            ("\(arch).attention.value_length", .uint32(UInt32(c.headDim))),
            ("\(arch).attention.head_count", .uint32(UInt32(c.heads))),
            ("\(arch).attention.head_count_kv", .uint32(UInt32(c.kvHeads))),
            ("\(arch).attention.layer_norm_rms_epsilon", .float32(c.normEps)),
            ("\(arch).rope.freq_base", .float32(Float(c.ropeTheta))),
            ("\(arch).vocab_size", .uint32(UInt32(c.vocabSize))),
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string(vocabulary.pre)),
            ("tokenizer.ggml.tokens", .strings(vocabulary.tokens)),
            ("tokenizer.ggml.token_type", .int32s(vocabulary.types)),
            ("tokenizer.ggml.merges", .strings(vocabulary.merges)),
            ("tokenizer.ggml.eos_token_id", .uint32(UInt32(model.vocabulary.markers.endOfTurn))),
        ]
        if let bos = vocabulary.bos { kv.append(("tokenizer.ggml.bos_token_id", .uint32(UInt32(bos)))) }
        if let pad = vocabulary.padding { kv.append(("tokenizer.ggml.padding_token_id", .uint32(UInt32(pad)))) }
        kv += [
            ("tokenizer.ggml.add_bos_token", .bool(false)),
            ("tokenizer.ggml.add_eos_token", .bool(false)),
            ("tokenizer.chat_template", .string(HuggingFaceExport.chatTemplate(model.vocabulary.format))),
        ]
        for (key, value) in kv { w.metadata(key, value) }

        if arch == "llama", let scaling = c.ropeScaling {
            // llama.cpp divides each rotary frequency by its factor.
            let factors = (0..<(c.headDim / 2)).map { i -> Float in
                let base = pow(c.ropeTheta, -Double(2 * i) / Double(c.headDim))
                return Float(base / scaling.scale(base))
            }
            w.tensor("rope_freqs.weight", dims: [UInt64(factors.count)], f32: factors)
        }
        let params = model.parameters
        for t in model.layout.tensors {
            var values = Array(UnsafeBufferPointer(start: params.pointer + t.offset, count: t.count))
            if arch == "llama" {
                if t.name.hasSuffix("q_proj.weight") { values = Self.permuteRotary(values, heads: c.heads, rows: t.shape[0], columns: t.shape[1]) }
                if t.name.hasSuffix("k_proj.weight") { values = Self.permuteRotary(values, heads: c.kvHeads, rows: t.shape[0], columns: t.shape[1]) }
            }
            // GGUF lists dimensions fastest-varying first.
            let dims = t.shape.reversed().map(UInt64.init)
            let name = Self.name(for: t.name)
            switch precision {
            case _ where t.shape.count < 2, .f32: w.tensor(name, dims: dims, f32: values)
            case .q8_0 where t.shape[1] % GGUFWriter.q8Block == 0: w.tensor(name, dims: dims, q8_0: values)
            case .f16, .q8_0: w.tensor(name, dims: dims, f16: values)
            }
        }
        do {
            try AtomicFile.write(w.finish(), to: path)
        } catch {
            throw .checkpoint("cannot write '\(path)': \(error)")
        }
    }

    /// llama.cpp's tensor name for a Hugging Face one.
    static func name(for hf: String) -> String {
        let fixed = ["model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
                     "lm_head.weight": "output.weight"]
        if let n = fixed[hf] { return n }
        let parts = hf.split(separator: ".")  // model.layers.N.<module>.<…>.weight
        let layer = parts[2]
        let module = parts[3...].joined(separator: ".")
        let map = ["input_layernorm.weight": "attn_norm.weight", "self_attn.q_proj.weight": "attn_q.weight",
                   "self_attn.k_proj.weight": "attn_k.weight", "self_attn.v_proj.weight": "attn_v.weight",
                   "self_attn.q_proj.bias": "attn_q.bias", "self_attn.k_proj.bias": "attn_k.bias",
                   "self_attn.v_proj.bias": "attn_v.bias", "self_attn.q_norm.weight": "attn_q_norm.weight",
                   "self_attn.k_norm.weight": "attn_k_norm.weight",
                   "self_attn.o_proj.weight": "attn_output.weight", "post_attention_layernorm.weight": "ffn_norm.weight",
                   "mlp.gate_proj.weight": "ffn_gate.weight", "mlp.up_proj.weight": "ffn_up.weight",
                   "mlp.down_proj.weight": "ffn_down.weight"]
        return "blk.\(layer).\(map[module]!)"
    }

    /// Reorders each head's rows from rotate-half order (first half, second half) to interleaved
    /// pairs (0, half, 1, half+1, …), the layout llama.cpp's RoPE expects.
    static func permuteRotary(_ w: [Float], heads: Int, rows: Int, columns: Int) -> [Float] {
        let headDim = rows / heads, half = headDim / 2
        var out = w
        for h in 0..<heads {
            for i in 0..<half {
                for (pair, from) in [(0, i), (1, half + i)] {
                    let src = (h * headDim + from) * columns, dst = (h * headDim + 2 * i + pair) * columns
                    out.replaceSubrange(dst..<(dst + columns), with: w[src..<(src + columns)])
                }
            }
        }
        return out
    }
}
