import Foundation

/// A byte-level BPE tokenizer read from a Hugging Face `tokenizer.json` (the GPT-2, Llama 3 and
/// Qwen2 family): optional NFC normalisation, added tokens matched first, the pre-tokenizer's
/// regex split, bytes mapped to GPT-2's printable characters, then merges by rank. A model
/// imported from Hugging Face reads and writes through it (see `Vocabulary`).
public struct BPETokenizer: Sendable {
    public let vocab: [String: Int]
    private let tokens: [Int: String]
    private let ranks: [String: Int]  // "left right" → merge rank
    private let added: [(text: String, id: Int)]  // longest first
    private let addedIDs: [String: Int]
    private let split: NSRegularExpression?
    private let nfc: Bool
    /// The largest id in the vocabulary or its added tokens.
    public let maxID: Int

    /// GPT-2's pre-tokenizer pattern (`ByteLevel` with `use_regex`).
    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    public init(path: String) throws(ModelError) {
        try self.init(json: try HuggingFaceImport.json(path), source: path)
    }

    /// Reads a parsed `tokenizer.json`; `source` names it in errors.
    public init(json: [String: Any], source path: String) throws(ModelError) {
        guard let model = json["model"] as? [String: Any], model["type"] as? String == "BPE",
              let vocab = model["vocab"] as? [String: Int] else {
            throw .checkpoint("'\(path)' is not a BPE tokenizer")
        }
        let missingBytes = Self.byteToChar.filter { vocab[String($0)] == nil }.count
        guard missingBytes == 0 else {
            throw .checkpoint("'\(path)' is not a byte-level BPE vocabulary: \(missingBytes) of the 256 byte tokens are missing (it has \(vocab.count) tokens)")
        }
        let addedTokens = json["added_tokens"] as? [[String: Any]] ?? []
        let ids = vocab.values.lazy + addedTokens.lazy.compactMap { $0["id"] as? Int }
        if let bad = ids.first(where: { !(0..<ModelConfig.maxVocabSize).contains($0) }) {
            throw .checkpoint("'\(path)' has token id \(bad); ids must be in 0..<\(ModelConfig.maxVocabSize)")
        }
        self.vocab = vocab
        var tokens: [Int: String] = [:]
        for (t, id) in vocab { tokens[id] = t }
        var ranks: [String: Int] = [:]
        for (rank, merge) in Self.merges(model).enumerated() { ranks[merge] = rank }
        self.ranks = ranks
        var added: [(String, Int)] = []
        for a in addedTokens {
            if let text = a["content"] as? String, let id = a["id"] as? Int { added.append((text, id)); tokens[id] = text }
        }
        self.tokens = tokens
        self.added = added.sorted { $0.0.count > $1.0.count }
        addedIDs = Dictionary(added, uniquingKeysWith: { first, _ in first })
        maxID = tokens.keys.max() ?? -1
        nfc = (json["normalizer"] as? [String: Any])?["type"] as? String == "NFC"
        let pattern = try Self.splitPattern(json, source: path)
        do { split = try pattern.map { try NSRegularExpression(pattern: $0) } } catch {
            throw .checkpoint("'\(path)': its split pattern does not compile here: \(error)")
        }
    }

    /// The merges of a tokenizer.json's `model`, in rank order, as `"left right"` (either way
    /// tokenizer.json writes them).
    static func merges(_ model: [String: Any]) -> [String] {
        (model["merges"] as? [Any] ?? []).compactMap { merge in
            if let s = merge as? String { return s }
            if let pair = merge as? [String], pair.count == 2 { return pair[0] + " " + pair[1] }
            return nil
        }
    }

    /// The regex a tokenizer.json's pre-tokenizer splits with: a `Split` step's (in a `Sequence`
    /// or alone), or GPT-2's for `ByteLevel` with `use_regex`; nil for no split. Other steps are
    /// refused, naming `path`.
    static func splitPattern(_ json: [String: Any], source path: String) throws(ModelError) -> String? {
        var pattern: String?
        let pre = json["pre_tokenizer"] as? [String: Any] ?? [:]
        let steps = pre["type"] as? String == "Sequence" ? pre["pretokenizers"] as? [[String: Any]] ?? [] : [pre]
        for step in steps {
            switch step["type"] as? String {
            case "Split":
                guard let regex = (step["pattern"] as? [String: Any])?["Regex"] as? String, step["behavior"] as? String == "Isolated" else {
                    throw .checkpoint("'\(path)': only Split steps with a Regex pattern and Isolated behaviour are supported")
                }
                pattern = regex
            case "ByteLevel":
                if step["add_prefix_space"] as? Bool == true { throw .checkpoint("'\(path)': add_prefix_space is not supported") }
                if step["use_regex"] as? Bool ?? true { pattern = Self.gpt2Pattern }
            case nil: break
            case let other?: throw .checkpoint("'\(path)': pre-tokenizer \(other) is not supported")
            }
        }
        return pattern
    }

    private static let byteToChar: [Character] = HuggingFaceExport.byteCharacters()
    private static let charToByte: [Character: UInt8] = Dictionary(uniqueKeysWithValues: byteToChar.enumerated().map { ($1, UInt8($0)) })

    /// The id of an added token with exactly this text.
    public func addedID(_ text: String) -> Int? { addedIDs[text] }

    /// Token ids of `text`. With `matchingAdded`, the text of an added token (`<|im_end|>`) becomes
    /// that token, as Hugging Face does; without, it is tokenized as plain text.
    public func encode(_ text: String, matchingAdded: Bool = true) -> [Int] {
        let text = nfc ? text.precomposedStringWithCanonicalMapping : text
        if !matchingAdded { return encodePlain(text) }
        var ids: [Int] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            // The earliest added token, longest first at the same place.
            var next: (range: Range<Substring.Index>, id: Int)?
            for (token, id) in added {
                if let r = rest.range(of: token), next == nil || r.lowerBound < next!.range.lowerBound { next = (r, id) }
            }
            let plainEnd = next?.range.lowerBound ?? rest.endIndex
            ids += encodePlain(String(rest[..<plainEnd]))
            guard let (range, id) = next else { break }
            ids.append(id)
            rest = rest[range.upperBound...]
        }
        return ids
    }

    private func encodePlain(_ text: String) -> [Int] {
        guard !text.isEmpty else { return [] }
        var pieces: [String] = [text]
        if let split {
            let ns = text as NSString
            pieces = split.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }
        }
        return pieces.flatMap { piece in
            bpe(piece.utf8.map { String(Self.byteToChar[Int($0)]) }).compactMap { vocab[$0] }
        }
    }

    /// Merges the pair with the lowest rank, everywhere it occurs, until no pair has a rank.
    private func bpe(_ start: [String]) -> [String] {
        var symbols = start
        while symbols.count > 1 {
            var best: (rank: Int, pair: (String, String))?
            for i in 0..<(symbols.count - 1) {
                if let r = ranks[symbols[i] + " " + symbols[i + 1]], best == nil || r < best!.rank { best = (r, (symbols[i], symbols[i + 1])) }
            }
            guard let (_, (left, right)) = best else { break }
            var merged: [String] = []
            var i = 0
            while i < symbols.count {
                if i < symbols.count - 1 && symbols[i] == left && symbols[i + 1] == right {
                    merged.append(left + right)
                    i += 2
                } else {
                    merged.append(symbols[i])
                    i += 1
                }
            }
            symbols = merged
        }
        return symbols
    }

    /// The bytes token `id` stands for: an added token's text, else its byte-level characters
    /// mapped back to bytes (empty for an unknown id).
    public func bytes(of id: Int) -> [UInt8] {
        guard let token = tokens[id] else { return [] }
        if addedIDs[token] == id { return Array(token.utf8) }
        return token.compactMap { Self.charToByte[$0] }
    }

    public func decode(_ ids: [Int]) -> String {
        String(decoding: ids.flatMap { bytes(of: $0) }, as: UTF8.self)
    }
}
