import Foundation

/// A model's vocabulary as llama.cpp's `gpt2` tokenizer metadata: one token string and type per
/// id (the embedding's padding rows as `[PAD<id>]`, unused), the BPE merges, and the name of the
/// pre-tokenizer llama.cpp must split with. Strawberry's byte vocabulary has no merges and no
/// split; an imported BPE tokenizer keeps its own, and its split pattern must be one llama.cpp
/// knows by name (GPT-2's, Llama 3's or Qwen2's), since a GGUF file names it rather than storing it.
struct GGUFVocabulary {
    var tokens: [String]
    /// llama.cpp's token types: 1 normal, 3 control, 4 user-defined, 5 unused.
    var types: [Int32]
    var merges: [String]
    var pre: String
    var bos: Int?
    var padding: Int?

    /// The split patterns llama.cpp names (`tokenizer.ggml.pre`), as tokenizer.json writes them.
    static let knownSplits: [(pattern: String, pre: String)] = [
        (BPETokenizer.gpt2Pattern, "gpt-2"),
        (#"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#, "llama-bpe"),
        (#"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#, "qwen2"),
    ]

    init(_ vocabulary: Vocabulary, rows: Int) throws(ModelError) {
        guard let data = vocabulary.tokenizerJSON else {
            let bytes = HuggingFaceExport.byteCharacters()
            tokens = (0..<rows).map { id in
                id < 256 ? String(bytes[id]) : Tokenizer.Special(rawValue: Int32(id))?.text ?? "<|reserved_\(id)|>"
            }
            types = (0..<rows).map { Int32($0 < 256 ? 1 : 3) }
            merges = []
            pre = "default"
            bos = Int(Tokenizer.Special.bos.rawValue)
            padding = Int(Tokenizer.Special.pad.rawValue)
            return
        }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let model = json["model"] as? [String: Any], let vocab = model["vocab"] as? [String: Int] else {
            throw .checkpoint("the model's tokenizer.json cannot be read back")
        }
        var names = [String?](repeating: nil, count: rows)
        var kinds = [Int32](repeating: 5, count: rows)
        for (text, id) in vocab where id < rows { names[id] = text; kinds[id] = 1 }
        // Added tokens are matched whole before the split, as in Hugging Face's tokenizer.
        for added in json["added_tokens"] as? [[String: Any]] ?? [] {
            guard let text = added["content"] as? String, let id = added["id"] as? Int, id < rows else { continue }
            names[id] = text
            kinds[id] = added["special"] as? Bool == true ? 3 : 4
        }
        tokens = names.enumerated().map { id, name in name ?? "[PAD\(id)]" }
        types = kinds
        merges = BPETokenizer.merges(model)
        let pattern = try BPETokenizer.splitPattern(json, source: "the model's tokenizer.json")
        guard let known = Self.knownSplits.first(where: { $0.pattern == pattern }) else {
            throw .checkpoint("GGUF names its pre-tokenizer instead of storing it, and this tokenizer's split (\(pattern ?? "none")) is none of those llama.cpp knows here (GPT-2's, Llama 3's, Qwen2's); export it with --format hf instead")
        }
        pre = known.pre
        let bosText = vocabulary.format == .llama3 ? "<|begin_of_text|>" : "<|endoftext|>"
        bos = tokens.firstIndex(of: bosText)
        padding = tokens.firstIndex(of: "<|endoftext|>") ?? tokens.firstIndex(of: "<|end_of_text|>")
    }
}
