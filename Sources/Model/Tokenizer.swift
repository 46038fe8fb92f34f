/// Byte-level tokenizer: ids 0–255 are raw UTF-8 bytes, so every string round-trips, and the ids
/// above them are reserved special tokens for the chat format, thinking and tools.
public enum Tokenizer {
    /// The special tokens, with the text they print as.
    public enum Special: Int32, CaseIterable, Sendable {
        case pad = 256, bos, system, user, assistant, endOfTurn, thinkStart, thinkEnd, toolStart, toolEnd,
             resultStart, resultEnd

        public var text: String {
            switch self {
            case .pad: return "<|pad|>"
            case .bos: return "<|bos|>"
            case .system: return "<|system|>"
            case .user: return "<|user|>"
            case .assistant: return "<|assistant|>"
            case .endOfTurn: return "<|end|>"
            case .thinkStart: return "<think>"
            case .thinkEnd: return "</think>"
            case .toolStart: return "<tool>"
            case .toolEnd: return "</tool>"
            case .resultStart: return "<result>"
            case .resultEnd: return "</result>"
            }
        }
    }

    /// 256 bytes plus 16 special slots (12 named, 4 reserved).
    public static let vocabSize = 272

    /// The UTF-8 bytes of `text` as tokens; special-token text is treated as plain bytes.
    public static func encode(_ text: String) -> [Int32] { text.utf8.map { Int32($0) } }

    /// Like `encode`, but the exact text of a special token (e.g. `</think>`) becomes that token.
    /// Used for trusted templates and training completions, never for user input.
    public static func encodeWithSpecials(_ text: String) -> [Int32] {
        let bytes = Array(text.utf8)
        let specials = Special.allCases.map { (Array($0.text.utf8), $0.rawValue) }
        var out: [Int32] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        outer: while i < bytes.count {
            if bytes[i] == UInt8(ascii: "<") {
                for (pattern, id) in specials where i + pattern.count <= bytes.count {
                    if bytes[i..<(i + pattern.count)].elementsEqual(pattern) {
                        out.append(id)
                        i += pattern.count
                        continue outer
                    }
                }
            }
            out.append(Int32(bytes[i]))
            i += 1
        }
        return out
    }

    /// Text for a token sequence; special tokens print as their text, invalid UTF-8 becomes U+FFFD,
    /// and ids outside the vocabulary print as `<|id:N|>`.
    public static func decode(_ tokens: some Sequence<Int32>) -> String {
        var result = ""
        var pending: [UInt8] = []
        func flush() {
            if !pending.isEmpty { result += String(decoding: pending, as: UTF8.self); pending.removeAll() }
        }
        for t in tokens {
            if t >= 0 && t < 256 {
                pending.append(UInt8(t))
            } else {
                flush()
                result += Special(rawValue: t)?.text ?? "<|id:\(t)|>"
            }
        }
        flush()
        return result
    }
}

/// The chat format's text-level parts; the tokens of prompts and completions come from the
/// model's `Vocabulary`, e.g. `<|user|>prompt<|assistant|><think>thinking</think>answer<|end|>`
/// for Strawberry's own vocabulary.
public enum ChatTemplate {
    /// Who wrote a turn of a conversation.
    public enum Role: String, Sendable {
        case system, user, assistant
    }
}
