import Foundation

/// The tokens a model reads and writes, and how a chat is laid out in them. Strawberry's own
/// models use 256 bytes plus special tokens (`Tokenizer`); a model imported from Hugging Face
/// brings its byte-level BPE vocabulary (`BPETokenizer`) and chat format, with `<think>`,
/// `</think>` and the tool markers as added tokens. Prompts, training data, the engine's thinking
/// rules and streaming all go through the model's vocabulary.
public final class Vocabulary: Sendable {
    /// How chat turns are marked.
    public enum ChatFormat: String, Sendable {
        /// `<|user|>text<|assistant|>…<|end|>`: Strawberry's own markers.
        case strawberry
        /// `<|im_start|>user\ntext<|im_end|>\n<|im_start|>assistant\n…<|im_end|>`: Qwen2's ChatML.
        case chatML
        /// `<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\ntext<|eot_id|>…`: Llama 3.
        case llama3

        /// The added tokens this format needs, and that identify it in a tokenizer.
        var turnTokens: [String] {
            switch self {
            case .strawberry: return ["<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
            case .chatML: return ["<|im_start|>", "<|im_end|>"]
            case .llama3: return ["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
            }
        }
    }

    /// Ids of the tokens the engine and trainers act on.
    public struct Markers: Sendable, Equatable {
        public let thinkStart, thinkEnd, toolStart, toolEnd, resultStart, resultEnd: Int32
        /// Ends an assistant turn; the engine stops there.
        public let endOfTurn: Int32
    }

    /// The thinking and tool markers every vocabulary needs as single tokens.
    public static let reasoningTokens = [Tokenizer.Special.thinkStart, .thinkEnd, .toolStart, .toolEnd, .resultStart, .resultEnd]
        .map(\.text)

    public let format: ChatFormat
    public let markers: Markers
    /// Ids in use; a model's `vocabSize` must be at least this.
    public let size: Int
    /// The `tokenizer.json` a BPE vocabulary was read from, saved with the model; nil for bytes.
    public let tokenizerJSON: Data?
    private let bpe: BPETokenizer?
    private let conversationStart: [Int32]
    private let roleOpen: [ChatTemplate.Role: [Int32]]
    private let turnClose: [ChatTemplate.Role: [Int32]]

    /// Strawberry's byte-level vocabulary.
    public static let strawberry = Vocabulary()

    private init() {
        let s = Tokenizer.Special.self
        format = .strawberry
        markers = Markers(thinkStart: s.thinkStart.rawValue, thinkEnd: s.thinkEnd.rawValue, toolStart: s.toolStart.rawValue,
                          toolEnd: s.toolEnd.rawValue, resultStart: s.resultStart.rawValue, resultEnd: s.resultEnd.rawValue,
                          endOfTurn: s.endOfTurn.rawValue)
        size = Tokenizer.vocabSize
        tokenizerJSON = nil
        bpe = nil
        conversationStart = []
        roleOpen = [.system: [s.system.rawValue], .user: [s.user.rawValue], .assistant: [s.assistant.rawValue]]
        turnClose = [.system: [], .user: [], .assistant: [s.endOfTurn.rawValue]]
    }

    /// A BPE vocabulary from a `tokenizer.json`; its chat format is recognised from its added
    /// tokens, and it must already hold the reasoning markers (`strawberry import` adds them).
    public init(tokenizerJSON data: Data, source: String) throws(ModelError) {
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .checkpoint("'\(source)' is not a JSON object")
        }
        let bpe = try BPETokenizer(json: json, source: source)
        let format = Self.detectFormat(bpe)
        func id(_ text: String) throws(ModelError) -> Int32 {
            guard let id = bpe.addedID(text) else {
                throw .checkpoint("'\(source)' has no added token '\(text)'; `strawberry import` adds the tokens Strawberry needs")
            }
            return Int32(id)
        }
        markers = Markers(thinkStart: try id("<think>"), thinkEnd: try id("</think>"), toolStart: try id("<tool>"),
                          toolEnd: try id("</tool>"), resultStart: try id("<result>"), resultEnd: try id("</result>"),
                          endOfTurn: try id(format == .strawberry ? "<|end|>" : format == .chatML ? "<|im_end|>" : "<|eot_id|>"))
        let plain = { (text: String) in bpe.encode(text, matchingAdded: false).map(Int32.init) }
        let roles: [ChatTemplate.Role] = [.system, .user, .assistant]
        var open: [ChatTemplate.Role: [Int32]] = [:], close: [ChatTemplate.Role: [Int32]] = [:]
        var start: [Int32] = []
        switch format {
        case .strawberry:
            for role in roles { open[role] = [try id("<|\(role.rawValue)|>")]; close[role] = [] }
            close[.assistant] = [markers.endOfTurn]
        case .chatML:
            let imStart = try id("<|im_start|>")
            for role in roles { open[role] = [imStart] + plain(role.rawValue + "\n"); close[role] = [markers.endOfTurn] + plain("\n") }
        case .llama3:
            start = [try id("<|begin_of_text|>")]
            let header = try id("<|start_header_id|>"), headerEnd = try id("<|end_header_id|>")
            for role in roles { open[role] = [header] + plain(role.rawValue) + [headerEnd] + plain("\n\n"); close[role] = [markers.endOfTurn] }
        }
        self.format = format
        self.bpe = bpe
        size = bpe.maxID + 1
        tokenizerJSON = data
        conversationStart = start
        roleOpen = open
        turnClose = close
    }

    /// ChatML or Llama 3 when the tokenizer has their turn tokens, else Strawberry's markers.
    static func detectFormat(_ bpe: BPETokenizer) -> ChatFormat {
        for format in [ChatFormat.chatML, .llama3] where format.turnTokens.allSatisfy({ bpe.addedID($0) != nil }) {
            return format
        }
        return .strawberry
    }

    /// Tokens of plain text: the text of a special token stays text. Used for user input.
    public func encode(_ text: String) -> [Int32] {
        guard let bpe else { return Tokenizer.encode(text) }
        return bpe.encode(text, matchingAdded: false).map(Int32.init)
    }

    /// Tokens of trusted text in which special-token text (`</think>`) becomes that token.
    public func encodeWithSpecials(_ text: String) -> [Int32] {
        guard let bpe else { return Tokenizer.encodeWithSpecials(text) }
        return bpe.encode(text).map(Int32.init)
    }

    /// The bytes one token prints as (a special token's text), for streaming.
    public func bytes(of token: Int32) -> [UInt8] {
        guard let bpe else { return token >= 0 && token < 256 ? [UInt8(token)] : Array(Tokenizer.decode([token]).utf8) }
        return bpe.bytes(of: Int(token))
    }

    /// Text of a token sequence; special tokens print as their text, invalid UTF-8 as U+FFFD.
    public func decode(_ tokens: some Sequence<Int32>) -> String {
        guard bpe != nil else { return Tokenizer.decode(tokens) }
        return String(decoding: tokens.flatMap { bytes(of: $0) }, as: UTF8.self)
    }

    /// Tokens of a single user turn followed by the assistant's opening, ready to continue.
    public func prompt(_ user: String) -> [Int32] { prompt(conversation: [(.user, user)]) }

    /// Tokens of a conversation ready for the model's next assistant turn. For Strawberry's own
    /// format only assistant turns are closed (with the end-of-turn token).
    public func prompt(conversation: [(role: ChatTemplate.Role, text: String)]) -> [Int32] {
        var tokens = conversationStart
        for (role, text) in conversation { tokens += roleOpen[role]! + encode(text) + turnClose[role]! }
        return tokens + roleOpen[.assistant]!
    }

    /// Tokens of an assistant completion written as text (`<think>` and the other markers
    /// recognised), closed with the end-of-turn token.
    public func completion(_ text: String) -> [Int32] { encodeWithSpecials(text) + [markers.endOfTurn] }
}
