import Foundation
import Kernels

/// Reads a Hugging Face `LlamaForCausalLM`, `Qwen2ForCausalLM` or `Qwen3ForCausalLM` folder (`config.json`,
/// `model.safetensors` or shards listed in `model.safetensors.index.json`, F32/F16/BF16, and
/// `tokenizer.json`) into a Strawberry model. The tensor names and the rotate-half RoPE layout are
/// already Strawberry's; Qwen2's q/k/v biases are `ModelConfig.attentionBias`, Qwen3's per-head
/// q/k norms `ModelConfig.qkNorm` and a `head_dim` other than hidden/heads `explicitHeadDim`. A byte-level BPE
/// tokenizer becomes the model's `Vocabulary`: the reasoning markers (`<think>`, `</think>`, tool
/// markers) it lacks are added as tokens, and when they do not fit the embedding rows the model
/// has, the embedding (and an untied output head) grows by rows set to the mean of the others, so
/// the logits of the original tokens are unchanged. Strawberry's own byte vocabulary (from
/// `strawberry export --format hf`) comes back as itself.
public enum HuggingFaceImport {
    /// Context length used when the model's own is longer (the KV cache is sized by it).
    public static let defaultMaxContext = 4096

    public static func load(_ directory: String, maxContext: Int = defaultMaxContext) throws(ModelError) -> Transformer {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isFolder), isFolder.boolValue else {
            throw .checkpoint("no Hugging Face model folder at '\(directory)'")
        }
        var (config, fileVocab) = try readConfig(directory, maxContext: maxContext)
        let vocabulary = try readVocabulary(directory)
        config.vocabSize = max(fileVocab, vocabulary.size)
        try config.validate()
        let layout = ParameterLayout(config: config)
        let files = try weightFiles(directory)
        var owner: [String: Safetensors.File] = [:]
        for file in files { for name in file.tensors.keys { owner[name] = file } }
        // Every tensor is checked against the config from the headers before the weights are allocated.
        var sources: [(tensor: ParameterLayout.Tensor, file: Safetensors.File, fileShape: [Int])] = []
        for t in layout.tensors {
            guard let file = owner[t.name] else {
                let kind = config.qkNorm ? "Qwen3" : config.attentionBias ? "Qwen2" : "Llama"
                throw .checkpoint("'\(directory)' has no tensor '\(t.name)', which a \(config.layers)-layer \(kind) with these sizes needs")
            }
            let isVocabulary = t.shape.count == 2 && t.shape[0] == config.vocabSize
            let shape = isVocabulary && fileVocab < config.vocabSize ? [fileVocab, config.dim] : t.shape
            try file.check(t.name, shape: shape)
            sources.append((t, file, shape))
        }
        let expected = Set(layout.tensors.map(\.name))
        if let extra = owner.keys.sorted().first(where: { !expected.contains($0) && !$0.hasSuffix("rotary_emb.inv_freq") }) {
            throw .checkpoint("'\(directory)' holds tensor '\(extra)', which Strawberry's model does not have (another variant?)")
        }
        try config.checkFitsInMemory()
        let values = FloatBuffer(count: layout.totalCount)
        for (t, file, shape) in sources {
            try file.read(t.name, shape: shape, into: values.pointer + t.offset)
            if shape != t.shape { fillNewRows(values.pointer + t.offset, from: fileVocab, to: config.vocabSize, width: config.dim) }
        }
        let model = try Transformer(config: config, parameters: values, vocabulary: vocabulary)
        try Checkpoint.requireFinite(model, in: directory)
        return model
    }

    /// Sets rows `from..<to` of a `[to × width]` matrix to the mean of the rows before them.
    static func fillNewRows(_ matrix: UnsafeMutablePointer<Float>, from: Int, to: Int, width: Int) {
        var mean = [Float](repeating: 0, count: width)
        for r in 0..<from { for j in 0..<width { mean[j] += matrix[r * width + j] } }
        for j in 0..<width { mean[j] /= Float(max(from, 1)) }
        for r in from..<to { (matrix + r * width).update(from: mean, count: width) }
    }

    /// The largest JSON file read (real tokenizers are a few MB to a few tens of MB).
    static let maxJSONBytes = 128 << 20

    /// The bytes of a regular file of at most `limit` bytes; a larger one, or a pipe or folder in
    /// its place (a pipe would block the read for ever), is refused before it is read.
    static func contents(_ path: String, limit: Int = maxJSONBytes) throws(ModelError) -> Data {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .checkpoint("cannot read '\(path)': \(String(cString: strerror(errno)))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .checkpoint("cannot read '\(path)': not a regular file") }
        if Int(info.st_size) > limit {
            throw .checkpoint("'\(path)' is \(info.st_size) bytes, more than the \(limit) this file may have")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw .checkpoint("cannot read '\(path)'") }
        return data
    }

    static func json(_ path: String) throws(ModelError) -> [String: Any] {
        let data = try contents(path)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .checkpoint("'\(path)' is not a JSON object")
        }
        return object
    }

    /// The model's shape and the number of vocabulary rows its weights have.
    static func readConfig(_ directory: String, maxContext: Int) throws(ModelError) -> (ModelConfig, Int) {
        let c = try json(directory + "/config.json")
        let architectures = c["architectures"] as? [String] ?? []
        let qwen2 = architectures.contains("Qwen2ForCausalLM"), qwen3 = architectures.contains("Qwen3ForCausalLM")
        guard qwen2 || qwen3 || architectures.contains("LlamaForCausalLM") else {
            let name = architectures.first ?? (c["model_type"] as? String ?? "unknown")
            throw .checkpoint("'\(directory)' is a \(name) model; only LlamaForCausalLM, Qwen2ForCausalLM and Qwen3ForCausalLM can be imported")
        }
        func int(_ key: String) throws(ModelError) -> Int {
            guard let v = c[key] as? Int else { throw .checkpoint("'\(directory)/config.json' lacks the integer '\(key)'") }
            return v
        }
        if let act = c["hidden_act"] as? String, act != "silu" { throw .checkpoint("hidden_act '\(act)' is not supported (SwiGLU needs silu)") }
        // Plain RoPE or Llama 3's scaling; newer transformers write it as rope_parameters {rope_type, rope_theta, …}.
        var ropeTheta = c["rope_theta"] as? Double
        var scaling: Llama3RopeScaling?
        for key in ["rope_scaling", "rope_parameters"] {
            guard let value = c[key], !(value is NSNull) else { continue }
            let rope = value as? [String: Any] ?? [:]
            let type = rope["rope_type"] as? String ?? rope["type"] as? String ?? "default"
            switch type {
            case "default": break
            case "llama3":
                func number(_ name: String) throws(ModelError) -> Double {
                    guard let v = (rope[name] as? NSNumber)?.doubleValue else {
                        throw .checkpoint("\(key) of type 'llama3' lacks the number '\(name)'")
                    }
                    return v
                }
                scaling = Llama3RopeScaling(factor: try number("factor"), lowFreqFactor: try number("low_freq_factor"),
                                            highFreqFactor: try number("high_freq_factor"),
                                            originalContext: try number("original_max_position_embeddings"))
            default:
                throw .checkpoint("\(key) of type '\(type)' is not supported (plain RoPE and Llama 3's 'llama3' scaling only)")
            }
            ropeTheta = ropeTheta ?? rope["rope_theta"] as? Double
        }
        if c["mlp_bias"] as? Bool == true || (!qwen2 && !qwen3 && c["attention_bias"] as? Bool == true) {
            throw .checkpoint("a Llama with attention or MLP biases is not supported (Qwen2's and Qwen3's q/k/v biases are)")
        }
        if c["use_sliding_window"] as? Bool == true { throw .checkpoint("sliding-window attention is not supported") }
        let dim = try int("hidden_size"), heads = try int("num_attention_heads")
        let vocab = try int("vocab_size")
        var config = ModelConfig(vocabSize: vocab, dim: dim, layers: try int("num_hidden_layers"), heads: heads,
                                 kvHeads: c["num_key_value_heads"] as? Int ?? heads, ffnDim: try int("intermediate_size"),
                                 contextLength: min(try int("max_position_embeddings"), maxContext),
                                 tiedEmbeddings: c["tie_word_embeddings"] as? Bool ?? false,
                                 ropeTheta: ropeTheta ?? 10_000,
                                 normEps: Float((c["rms_norm_eps"] as? Double) ?? 1e-6),
                                 attentionBias: qwen2 || (qwen3 && c["attention_bias"] as? Bool == true))
        config.ropeScaling = scaling
        config.qkNorm = qwen3
        // Compared without multiplying, so that no value in a hostile config can overflow.
        if let headDim = c["head_dim"] as? Int, heads > 0, dim % heads != 0 || headDim != dim / heads { config.explicitHeadDim = headDim }
        try config.validate()
        return (config, vocab)
    }

    /// Strawberry's byte vocabulary when `tokenizer.json` is exactly it; else the BPE tokenizer with
    /// the reasoning markers (and, for a tokenizer with no chat format Strawberry knows, its turn
    /// markers) added after its largest id.
    static func readVocabulary(_ directory: String) throws(ModelError) -> Vocabulary {
        let path = directory + "/tokenizer.json"
        var t = try json(path)
        let model = t["model"] as? [String: Any] ?? [:]
        let ours = HuggingFaceExport.tokenizerJSON(vocabSize: Tokenizer.vocabSize)
        if (model["merges"] as? [Any])?.count ?? 0 == 0,
           model["vocab"] as? [String: Int] == (ours["model"] as? [String: Any])?["vocab"] as? [String: Int] {
            return .strawberry
        }
        let bpe = try BPETokenizer(json: t, source: path)
        var wanted = Vocabulary.reasoningTokens
        let format = Vocabulary.detectFormat(bpe)
        if format == .strawberry { wanted += format.turnTokens }
        var added = t["added_tokens"] as? [[String: Any]] ?? []
        var next = bpe.maxID + 1
        for text in wanted where bpe.addedID(text) == nil {
            added.append(["id": next, "content": text, "single_word": false, "lstrip": false, "rstrip": false,
                          "normalized": false, "special": true])
            next += 1
        }
        t["added_tokens"] = added
        guard let data = try? JSONSerialization.data(withJSONObject: t, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            throw .checkpoint("cannot re-encode '\(path)'")
        }
        return try Vocabulary(tokenizerJSON: data, source: path)
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
        for shard in Set(map.values).sorted() {
            guard !shard.isEmpty, !shard.contains("/"), !shard.contains("\\"), shard != ".", shard != ".." else {
                throw .checkpoint("'\(index)' names the shard '\(shard)', which is not a file in the model's folder; shards must be plain file names")
            }
            files.append(try Safetensors.load(directory + "/" + shard))
        }
        return files
    }
}
