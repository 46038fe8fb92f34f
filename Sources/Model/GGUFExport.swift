import Foundation

/// Writes a model as a GGUF file (version 3) for llama.cpp's `llama` architecture: the metadata
/// llama.cpp reads, tensors under its names with the q/k rows permuted from rotate-half RoPE
/// (Hugging Face's layout, and Strawberry's) to llama.cpp's interleaved pairs, the byte-level
/// vocabulary as a `gpt2` tokenizer with no merges, and the chat template. Weights are F32 or
/// F16 (norms stay F32, as llama.cpp's converter keeps them).
public enum GGUFExport {
    /// How the weight matrices are stored: 32-bit or 16-bit floats (norms stay F32 either way).
    public enum Precision: String, Sendable, CaseIterable {
        case f32, f16
    }

    public static func write(_ model: Transformer, to path: String, precision: Precision, name: String) throws(ModelError) {
        let c = model.config
        guard model.vocabulary.format == .strawberry, model.vocabulary.tokenizerJSON == nil, !c.attentionBias else {
            throw .checkpoint("GGUF export writes Strawberry's own byte-vocabulary Llama models; this one (imported, \(model.vocabulary.format.rawValue) vocabulary\(c.attentionBias ? ", q/k/v biases" : "")) is not supported — export it with --format hf instead")
        }
        guard c.ropeScaling == nil else {
            throw .checkpoint("GGUF export does not write Llama 3's rope scaling yet; export this model with --format hf instead")
        }
        var w = GGUFWriter()
        var kv: [(String, GGUFWriter.Value)] = [
            ("general.architecture", .string("llama")),
            ("general.name", .string(name)),
            ("general.file_type", .uint32(precision == .f32 ? 0 : 1)),
            ("general.alignment", .uint32(UInt32(GGUFWriter.alignment))),
            ("llama.context_length", .uint32(UInt32(c.contextLength))),
            ("llama.embedding_length", .uint32(UInt32(c.dim))),
            ("llama.block_count", .uint32(UInt32(c.layers))),
            ("llama.feed_forward_length", .uint32(UInt32(c.ffnDim))),
            ("llama.rope.dimension_count", .uint32(UInt32(c.headDim))),
            ("llama.attention.head_count", .uint32(UInt32(c.heads))),
            ("llama.attention.head_count_kv", .uint32(UInt32(c.kvHeads))),
            ("llama.attention.layer_norm_rms_epsilon", .float32(c.normEps)),
            ("llama.rope.freq_base", .float32(Float(c.ropeTheta))),
            ("llama.vocab_size", .uint32(UInt32(c.vocabSize))),
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string("default")),
        ]
        let bytes = HuggingFaceExport.byteCharacters()
        let tokens = (0..<c.vocabSize).map { id -> String in
            id < 256 ? String(bytes[id]) : Tokenizer.Special(rawValue: Int32(id))?.text ?? "<|reserved_\(id)|>"
        }
        // 1 = normal, 3 = control (llama.cpp's token types).
        let types = (0..<c.vocabSize).map { Int32($0 < 256 ? 1 : 3) }
        kv += [
            ("tokenizer.ggml.tokens", .strings(tokens)),
            ("tokenizer.ggml.token_type", .int32s(types)),
            ("tokenizer.ggml.merges", .strings([])),
            ("tokenizer.ggml.bos_token_id", .uint32(UInt32(Tokenizer.Special.bos.rawValue))),
            ("tokenizer.ggml.eos_token_id", .uint32(UInt32(Tokenizer.Special.endOfTurn.rawValue))),
            ("tokenizer.ggml.padding_token_id", .uint32(UInt32(Tokenizer.Special.pad.rawValue))),
            ("tokenizer.ggml.add_bos_token", .bool(false)),
            ("tokenizer.ggml.add_eos_token", .bool(false)),
            ("tokenizer.chat_template", .string(HuggingFaceExport.chatTemplate(.strawberry))),
        ]
        for (key, value) in kv { w.metadata(key, value) }

        let params = model.parameters
        for t in model.layout.tensors {
            let source = UnsafeBufferPointer(start: params.pointer + t.offset, count: t.count)
            var values = Array(source)
            let name = Self.name(for: t.name)
            if t.name.hasSuffix("q_proj.weight") { values = Self.permuteRotary(values, heads: c.heads, rows: t.shape[0], columns: t.shape[1]) }
            if t.name.hasSuffix("k_proj.weight") { values = Self.permuteRotary(values, heads: c.kvHeads, rows: t.shape[0], columns: t.shape[1]) }
            // GGUF lists dimensions fastest-varying first.
            let dims = t.shape.reversed().map(UInt64.init)
            if precision == .f16 && t.shape.count > 1 {
                w.tensor(name, dims: dims, f16: values)
            } else {
                w.tensor(name, dims: dims, f32: values)
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

/// Serialises GGUF: header, metadata, tensor infos, then aligned tensor data.
struct GGUFWriter {
    static let alignment = 32

    enum Value {
        case uint32(UInt32), int32s([Int32]), float32(Float), bool(Bool), string(String), strings([String])
    }

    private var metadataBytes = Data()
    private var metadataCount = 0
    private var infos = Data()
    private var tensorCount = 0
    private var payload = Data()

    mutating func metadata(_ key: String, _ value: Value) {
        metadataCount += 1
        Self.put(key, into: &metadataBytes)
        switch value {
        case .uint32(let v): Self.put(UInt32(4), into: &metadataBytes); Self.put(v, into: &metadataBytes)
        case .float32(let v): Self.put(UInt32(6), into: &metadataBytes); Self.put(v.bitPattern, into: &metadataBytes)
        case .bool(let v): Self.put(UInt32(7), into: &metadataBytes); metadataBytes.append(v ? 1 : 0)
        case .string(let s): Self.put(UInt32(8), into: &metadataBytes); Self.put(s, into: &metadataBytes)
        case .strings(let a):
            Self.put(UInt32(9), into: &metadataBytes); Self.put(UInt32(8), into: &metadataBytes)
            Self.put(UInt64(a.count), into: &metadataBytes)
            for s in a { Self.put(s, into: &metadataBytes) }
        case .int32s(let a):
            Self.put(UInt32(9), into: &metadataBytes); Self.put(UInt32(5), into: &metadataBytes)
            Self.put(UInt64(a.count), into: &metadataBytes)
            for v in a { Self.put(UInt32(bitPattern: v), into: &metadataBytes) }
        }
    }

    mutating func tensor(_ name: String, dims: [UInt64], f32 values: [Float]) {
        info(name, dims: dims, type: 0)
        for v in values { Self.put(v.bitPattern, into: &payload) }
    }

    mutating func tensor(_ name: String, dims: [UInt64], f16 values: [Float]) {
        info(name, dims: dims, type: 1)
        for v in values { Self.put(Float16(v).bitPattern, into: &payload) }
    }

    private mutating func info(_ name: String, dims: [UInt64], type: UInt32) {
        tensorCount += 1
        while payload.count % Self.alignment != 0 { payload.append(0) }
        Self.put(name, into: &infos)
        Self.put(UInt32(dims.count), into: &infos)
        for d in dims { Self.put(d, into: &infos) }
        Self.put(type, into: &infos)
        Self.put(UInt64(payload.count), into: &infos)
    }

    func finish() -> Data {
        var out = Data("GGUF".utf8)
        Self.put(UInt32(3), into: &out)
        Self.put(UInt64(tensorCount), into: &out)
        Self.put(UInt64(metadataCount), into: &out)
        out += metadataBytes
        out += infos
        while out.count % Self.alignment != 0 { out.append(0) }
        return out + payload
    }

    static func put<T: FixedWidthInteger>(_ v: T, into data: inout Data) {
        withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) }
    }

    static func put(_ s: String, into data: inout Data) {
        put(UInt64(s.utf8.count), into: &data)
        data.append(contentsOf: Array(s.utf8))
    }
}
