import Foundation
import Kernels

/// Reads a Hugging Face `LlamaForCausalLM` folder (`config.json`, `model.safetensors` or shards
/// listed in `model.safetensors.index.json`, F32/F16/BF16) into a Strawberry model. The tensor
/// names and the rotate-half RoPE layout are already Strawberry's. The vocabulary must be
/// Strawberry's byte-level one (as `strawberry export --format hf` writes it): BPE vocabularies
/// and other architectures are refused with a message saying so.
public enum HuggingFaceImport {
    public static func load(_ directory: String) throws(ModelError) -> Transformer {
        let config = try readConfig(directory)
        try checkTokenizer(directory)
        let layout = ParameterLayout(config: config)
        let files = try weightFiles(directory)
        var owner: [String: Safetensors.File] = [:]
        for file in files { for name in file.tensors.keys { owner[name] = file } }
        let values = FloatBuffer(count: layout.totalCount)
        for t in layout.tensors {
            guard let file = owner[t.name] else {
                throw .checkpoint("'\(directory)' has no tensor '\(t.name)', which a \(config.layers)-layer Llama with these sizes needs")
            }
            try file.read(t.name, shape: t.shape, into: values.pointer + t.offset)
        }
        let expected = Set(layout.tensors.map(\.name))
        if let extra = owner.keys.sorted().first(where: { !expected.contains($0) && !$0.hasSuffix("rotary_emb.inv_freq") }) {
            throw .checkpoint("'\(directory)' holds tensor '\(extra)', which Strawberry's Llama does not have (biases or another variant?)")
        }
        return try Transformer(config: config, parameters: values)
    }

    static func json(_ path: String) throws(ModelError) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .checkpoint("cannot read '\(path)'") }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .checkpoint("'\(path)' is not a JSON object")
        }
        return object
    }

    static func readConfig(_ directory: String) throws(ModelError) -> ModelConfig {
        let c = try json(directory + "/config.json")
        let architectures = c["architectures"] as? [String] ?? []
        guard architectures.contains("LlamaForCausalLM") else {
            let name = architectures.first ?? (c["model_type"] as? String ?? "unknown")
            let why = name.hasPrefix("Qwen2") ? " (Qwen2 has q/k/v biases, which Strawberry's model does not have yet)" : ""
            throw .checkpoint("'\(directory)' is a \(name) model; only LlamaForCausalLM can be imported\(why)")
        }
        func int(_ key: String) throws(ModelError) -> Int {
            guard let v = c[key] as? Int else { throw .checkpoint("'\(directory)/config.json' lacks the integer '\(key)'") }
            return v
        }
        if let act = c["hidden_act"] as? String, act != "silu" { throw .checkpoint("hidden_act '\(act)' is not supported (SwiGLU needs silu)") }
        if let scaling = c["rope_scaling"], !(scaling is NSNull) { throw .checkpoint("rope_scaling is not supported") }
        if c["attention_bias"] as? Bool == true || c["mlp_bias"] as? Bool == true { throw .checkpoint("attention or MLP biases are not supported") }
        let dim = try int("hidden_size"), heads = try int("num_attention_heads")
        if let headDim = c["head_dim"] as? Int, headDim * heads != dim {
            throw .checkpoint("head_dim \(headDim) × \(heads) heads ≠ hidden_size \(dim); Strawberry needs head_dim = hidden_size / heads")
        }
        let config = ModelConfig(dim: dim, layers: try int("num_hidden_layers"), heads: heads,
                                 kvHeads: c["num_key_value_heads"] as? Int ?? heads, ffnDim: try int("intermediate_size"),
                                 contextLength: try int("max_position_embeddings"),
                                 tiedEmbeddings: c["tie_word_embeddings"] as? Bool ?? false,
                                 ropeTheta: (c["rope_theta"] as? Double) ?? 10_000,
                                 normEps: Float((c["rms_norm_eps"] as? Double) ?? 1e-6))
        let vocab = try int("vocab_size")
        guard vocab == config.vocabSize else {
            throw .checkpoint("vocab_size \(vocab) ≠ Strawberry's \(config.vocabSize): only its byte-level vocabulary can be imported so far")
        }
        try config.validate()
        return config
    }

    /// Refuses any vocabulary that is not Strawberry's bytes-then-specials.
    static func checkTokenizer(_ directory: String) throws(ModelError) {
        let t = try json(directory + "/tokenizer.json")
        let model = t["model"] as? [String: Any] ?? [:]
        let vocab = model["vocab"] as? [String: Int] ?? [:]
        let merges = (model["merges"] as? [Any])?.count ?? 0
        let ours = HuggingFaceExport.tokenizerJSON(vocabSize: Tokenizer.vocabSize)
        let expected = (ours["model"] as? [String: Any])?["vocab"] as? [String: Int] ?? [:]
        guard merges == 0, vocab == expected else {
            throw .checkpoint("'\(directory)/tokenizer.json' is a \(vocab.count)-token vocabulary with \(merges) merges; only Strawberry's byte-level vocabulary can be imported so far (BPE tokenizers are not supported yet)")
        }
    }

    static func weightFiles(_ directory: String) throws(ModelError) -> [Safetensors.File] {
        let single = directory + "/model.safetensors"
        if FileManager.default.fileExists(atPath: single) { return [try Safetensors.load(single)] }
        let index = directory + "/model.safetensors.index.json"
        guard FileManager.default.fileExists(atPath: index) else {
            throw .checkpoint("'\(directory)' has neither model.safetensors nor model.safetensors.index.json")
        }
        let map = try json(index)["weight_map"] as? [String: String] ?? [:]
        var files: [Safetensors.File] = []
        for shard in Set(map.values).sorted() { files.append(try Safetensors.load(directory + "/" + shard)) }
        return files
    }
}
