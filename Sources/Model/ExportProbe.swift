/// `strawberry_probe.json`, written beside every export: a probe text's token ids, Strawberry's
/// logits at every position and its greedy continuation, so a script can check that another
/// runtime (transformers, llama.cpp) tokenizes, computes and generates the same.
public enum ExportProbe {
    /// The probe: a chat prompt in the model's format, then the start of its thinking, e.g.
    /// `<|user|>Use 3 7 12 to make 33.<|assistant|><think>3*7=21, left 21 12`.
    public static func text(_ vocabulary: Vocabulary) -> String {
        vocabulary.decode(vocabulary.prompt("Use 3 7 12 to make 33.")) + "<think>3*7=21, left 21 12"
    }
    public static let greedyTokens = 24

    public static func write(_ model: Transformer, to directory: String) throws(ModelError) {
        let c = model.config
        let text = text(model.vocabulary)
        let tokens = model.vocabulary.encodeWithSpecials(text)
        let cache = KVCache(config: c, slots: 1)
        let logits = try model.forwardCached([CacheSegment(slot: 0, tokens: tokens)], cache: cache, allPositions: true)
        // Greedy continuation from the last position.
        var greedy: [Int32] = []
        var last = Array(logits[(logits.count - c.vocabSize)...])
        for _ in 0..<min(greedyTokens, cache.capacity - tokens.count - 1) {
            let next = Int32(last.indices.max { last[$0] < last[$1] }!)
            greedy.append(next)
            last = try model.forwardCached([CacheSegment(slot: 0, tokens: [next])], cache: cache)
        }
        try HuggingFaceExport.writeJSON(["text": text, "token_ids": tokens.map(Int.init), "vocab_size": c.vocabSize,
                                         "logits": logits.map(Double.init), "greedy_ids": greedy.map(Int.init)],
                                        to: directory + "/strawberry_probe.json")
    }
}
