import Foundation
import Kernels
import Model

/// Writes a tiny, randomly initialised Hugging Face model folder the way such folders come:
/// `config.json`, `model.safetensors` and a byte-level BPE `tokenizer.json` (made by hand: the 256
/// byte symbols, 16 merges, the model's own special tokens). `qwen2` is a `Qwen2ForCausalLM` with
/// q/k/v biases, tied embeddings, ChatML tokens and spare embedding rows; `llama` is a
/// `LlamaForCausalLM` with an untied head, GPT-2's pre-tokenizer and no chat tokens, whose
/// embedding has no spare rows; `qwen3` is a `Qwen3ForCausalLM` with per-head q/k norms, a head
/// width (12) that is not hidden/heads, no biases and Qwen2's tokens. Import tests read them back.
public enum TinyHuggingFaceModel {
    public enum Kind: Sendable {
        case qwen2, llama, qwen3
    }

    public static let merges = ["Ġ t", "h e", "Ġt he", "i n", "Ġ a", "e r", "o n", "Ġ s", "r e", "a t", "e n", "Ġ o", "Ġ w",
                         "i s", "o r", "e s"]

    /// The model's own added tokens and their ids (after the bytes and merges).
    public static func specialTokens(_ kind: Kind) -> [(String, Int)] {
        switch kind {
        case .qwen2, .qwen3: return [("<|endoftext|>", 272), ("<|im_start|>", 273), ("<|im_end|>", 274)]
        case .llama: return [("<|endoftext|>", 272)]
        }
    }

    /// Embedding rows in the weights: Qwen2 pads its vocabulary, this Llama does not.
    public static func vocabRows(_ kind: Kind) -> Int { kind == .llama ? 273 : 288 }

    /// Writes the folder; returns the weights as a Strawberry model (its vocabulary is irrelevant).
    @discardableResult
    public static func write(_ kind: Kind, to directory: String, seed: UInt64 = 1) throws -> Transformer {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let qwen2 = kind == .qwen2, qwen3 = kind == .qwen3
        var config = ModelConfig(vocabSize: vocabRows(kind), dim: 32, layers: 2, heads: 4, kvHeads: 2, ffnDim: 64,
                                 contextLength: 128, tiedEmbeddings: qwen2 || qwen3, ropeTheta: qwen2 || qwen3 ? 1_000_000 : 10_000,
                                 normEps: 1e-6, attentionBias: qwen2)
        if qwen3 {
            config.qkNorm = true
            config.explicitHeadDim = 12
        }
        let model = try Transformer(config: config, seed: seed)
        var rng = SeededRNG(seed: seed &+ 100)
        for t in model.layout.tensors {
            let p = model.parameters.pointer + t.offset
            for i in 0..<t.count {
                // Norm weights near 1, biases and matrices large enough for distinct logits.
                p[i] = t.name.hasSuffix("norm.weight") ? 1 + 0.1 * rng.nextNormal() : 0.2 * rng.nextNormal()
            }
        }
        let type = qwen3 ? "qwen3" : qwen2 ? "qwen2" : "llama"
        var json: [String: Any] = [
            "architectures": [["qwen3": "Qwen3ForCausalLM", "qwen2": "Qwen2ForCausalLM", "llama": "LlamaForCausalLM"][type]!],
            "model_type": type,
            "hidden_size": config.dim, "intermediate_size": config.ffnDim, "num_hidden_layers": config.layers,
            "num_attention_heads": config.heads, "num_key_value_heads": config.kvHeads,
            "max_position_embeddings": config.contextLength, "rms_norm_eps": Double(config.normEps),
            "vocab_size": config.vocabSize, "tie_word_embeddings": config.tiedEmbeddings, "hidden_act": "silu",
            "torch_dtype": "float32",
        ]
        // Older transformers write rope_theta; newer ones rope_parameters. One of each.
        if qwen3 {
            json["rope_theta"] = config.ropeTheta
            json["head_dim"] = 12
            json["attention_bias"] = false
            json["use_sliding_window"] = false
        } else if qwen2 {
            json["rope_parameters"] = ["rope_type": "default", "rope_theta": config.ropeTheta]
        } else {
            json["rope_theta"] = config.ropeTheta
            json["rope_scaling"] = NSNull()
        }
        if qwen2 { json["use_sliding_window"] = false } else if !qwen3 { json["attention_bias"] = false }
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: directory + "/config.json"))
        let params = model.parameters
        try Safetensors.write(model.layout.tensors.map { t in
            Safetensors.Entry(name: t.name, shape: t.shape, data: UnsafeBufferPointer(start: params.pointer + t.offset, count: t.count))
        }, to: directory + "/model.safetensors")
        try tokenizerJSON(kind).write(to: URL(fileURLWithPath: directory + "/tokenizer.json"))
        return model
    }

    /// A byte-level BPE `tokenizer.json` in Hugging Face's layout.
    public static func tokenizerJSON(_ kind: Kind) throws -> Data {
        let chars = HuggingFaceExport.byteCharacters()
        var vocab: [String: Int] = [:]
        for b in 0..<256 { vocab[String(chars[b])] = b }
        for (i, merge) in merges.enumerated() { vocab[merge.replacingOccurrences(of: " ", with: "")] = 256 + i }
        let added = specialTokens(kind).map { text, id -> [String: Any] in
            vocab[text] = id
            return ["id": id, "content": text, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false,
                    "special": true]
        }
        let qwenSplit = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        let pre: [String: Any] = kind != .llama
            ? ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": ["Regex": qwenSplit], "behavior": "Isolated", "invert": false],
                ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false],
            ]]
            : ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true]
        let object: [String: Any] = [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": added,
            "normalizer": kind != .llama ? ["type": "NFC"] : NSNull(), "pre_tokenizer": pre, "post_processor": NSNull(),
            "decoder": ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false],
            "model": ["type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": NSNull(),
                      "end_of_word_suffix": NSNull(), "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                      "vocab": vocab, "merges": merges] as [String: Any],
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }
}
