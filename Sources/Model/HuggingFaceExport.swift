import Foundation
import Kernels

/// Writes a model as a Hugging Face folder — `LlamaForCausalLM`, `Qwen2ForCausalLM` when it
/// has q/k/v biases, or `Qwen3ForCausalLM` when it has per-head q/k norms: `config.json`, `model.safetensors` (the tensor names are already Hugging
/// Face's), `tokenizer.json` (for Strawberry's vocabulary a byte-level one whose ids equal
/// Strawberry's: bytes 0–255, then the special tokens; for an imported model its own),
/// `tokenizer_config.json` with a thinking chat template, `generation_config.json`, and
/// `strawberry_probe.json` (see `ExportProbe`).
public enum HuggingFaceExport {
    /// `Vocabulary.prompt(conversation:)` of each chat format as a Jinja template for a thinking
    /// model: earlier assistant turns keep only what follows their `</think>`, and the generation
    /// prompt opens `<think>` as the engine does (`enable_thinking=False` closes it at once, as
    /// Qwen3's templates do), so transformers, llama.cpp and Ollama see the model think.
    public static func chatTemplate(_ format: Vocabulary.ChatFormat) -> String {
        let answer = "{{ m['content'].split('</think>')[-1] }}"
        let think = "{% if enable_thinking is defined and not enable_thinking %}<think></think>{% else %}<think>{% endif %}"
        switch format {
        case .strawberry:
            return "{% for m in messages %}{% if m['role'] == 'system' %}<|system|>{{ m['content'] }}{% elif m['role'] == 'user' %}<|user|>{{ m['content'] }}{% elif m['role'] == 'assistant' %}<|assistant|>\(answer)<|end|>{% endif %}{% endfor %}{% if add_generation_prompt %}<|assistant|>\(think){% endif %}"
        case .chatML:
            return "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{% if m['role'] == 'assistant' %}\(answer){% else %}{{ m['content'] }}{% endif %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n\(think){% endif %}"
        case .llama3:
            return "<|begin_of_text|>{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n{% if m['role'] == 'assistant' %}\(answer){% else %}{{ m['content'] }}{% endif %}<|eot_id|>{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n\(think){% endif %}"
        }
    }

    /// `generation_config.json`: generation ends at the end-of-turn marker.
    static func generationConfig(_ vocabulary: Vocabulary) -> [String: Any] {
        var config: [String: Any] = ["eos_token_id": Int(vocabulary.markers.endOfTurn), "do_sample": true, "temperature": 1.0]
        if vocabulary.tokenizerJSON == nil {
            config["bos_token_id"] = Int(Tokenizer.Special.bos.rawValue)
            config["pad_token_id"] = Int(Tokenizer.Special.pad.rawValue)
        }
        return config
    }

    public static func write(_ model: Transformer, to directory: String) throws(ModelError) {
        try model.requireFloat32Weights(to: "export to Hugging Face")
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw .checkpoint("cannot create '\(directory)': \(error.localizedDescription)")
        }
        let c = model.config, vocabulary = model.vocabulary
        let endText = vocabulary.decode([vocabulary.markers.endOfTurn])
        let type = c.modelType
        let architecture = ["qwen3": "Qwen3ForCausalLM", "qwen2": "Qwen2ForCausalLM", "llama": "LlamaForCausalLM"][type]!
        var config: [String: Any] = [
            "architectures": [architecture], "model_type": type, "hidden_size": c.dim,
            "intermediate_size": c.ffnDim, "num_hidden_layers": c.layers, "num_attention_heads": c.heads,
            "num_key_value_heads": c.kvHeads, "head_dim": c.headDim, "max_position_embeddings": c.contextLength,
            "rms_norm_eps": Double(c.normEps), "rope_theta": c.ropeTheta, "vocab_size": c.vocabSize,
            "tie_word_embeddings": c.tiedEmbeddings, "hidden_act": "silu", "torch_dtype": "float32",
            "eos_token_id": Int(vocabulary.markers.endOfTurn),
        ]
        if let s = c.ropeScaling {
            config["rope_scaling"] = ["rope_type": "llama3", "factor": s.factor, "low_freq_factor": s.lowFreqFactor,
                                      "high_freq_factor": s.highFreqFactor,
                                      "original_max_position_embeddings": Int(s.originalContext)] as [String: Any]
        }
        if type == "llama" { config["mlp_bias"] = false }
        if type != "qwen2" { config["attention_bias"] = c.attentionBias }
        if type != "llama" { config["use_sliding_window"] = false }
        if vocabulary.tokenizerJSON == nil {
            config["bos_token_id"] = Int(Tokenizer.Special.bos.rawValue)
            config["pad_token_id"] = Int(Tokenizer.Special.pad.rawValue)
        }
        try writeJSON(config, to: directory + "/config.json")
        try writeJSON(generationConfig(vocabulary), to: directory + "/generation_config.json")
        let params = model.parameters
        try Safetensors.write(model.layout.tensors.map { t in
            Safetensors.Entry(name: t.name, shape: t.shape, data: UnsafeBufferPointer(start: params.pointer + t.offset, count: t.count))
        }, to: directory + "/model.safetensors")
        var tokenizerConfig: [String: Any] = [
            "tokenizer_class": "PreTrainedTokenizerFast", "eos_token": endText,
            "model_max_length": c.contextLength, "clean_up_tokenization_spaces": false,
            "chat_template": chatTemplate(vocabulary.format),
        ]
        if let data = vocabulary.tokenizerJSON {
            try AtomicFile.write(data, to: directory + "/tokenizer.json")
        } else {
            try writeJSON(tokenizerJSON(vocabSize: c.vocabSize), to: directory + "/tokenizer.json")
            tokenizerConfig["bos_token"] = Tokenizer.Special.bos.text
            tokenizerConfig["pad_token"] = Tokenizer.Special.pad.text
        }
        try writeJSON(tokenizerConfig, to: directory + "/tokenizer_config.json")
        try ExportProbe.write(model, to: directory)
    }

    /// GPT-2's reversible map from bytes to printable characters, which byte-level tokenizers use.
    public static func byteCharacters() -> [Character] {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var chars = [Character](repeating: " ", count: 256)
        var extra = 0
        for b in 0..<256 {
            if printable.contains(b) {
                chars[b] = Character(Unicode.Scalar(UInt32(b))!)
            } else {
                chars[b] = Character(Unicode.Scalar(UInt32(256 + extra))!)
                extra += 1
            }
        }
        printable.removeAll()
        return chars
    }

    static func tokenizerJSON(vocabSize: Int) -> [String: Any] {
        let chars = byteCharacters()
        var vocab: [String: Int] = [:]
        for b in 0..<256 { vocab[String(chars[b])] = b }
        var added: [[String: Any]] = []
        for id in 256..<vocabSize {
            let content = Tokenizer.Special(rawValue: Int32(id))?.text ?? "<|reserved_\(id)|>"
            vocab[content] = id
            added.append(["id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false,
                          "normalized": false, "special": true])
        }
        return [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": added,
            "normalizer": NSNull(),
            "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false],
            "post_processor": NSNull(),
            "decoder": ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false],
            "model": ["type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": NSNull(),
                      "end_of_word_suffix": NSNull(), "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                      "vocab": vocab, "merges": [String]()] as [String: Any],
        ]
    }

    static func writeJSON(_ object: Any, to path: String) throws(ModelError) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else {
            throw .checkpoint("cannot encode '\(path)'")
        }
        try AtomicFile.write(data, to: path)
    }
}
