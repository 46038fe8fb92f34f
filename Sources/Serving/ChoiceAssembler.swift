import Model
import Reasoning

/// Turns one sample's tokens, as they stream, into reasoning and answer text deltas: whole
/// UTF-8 characters only, markers (`<think>`, `</think>`, end of turn) left out, and the answer
/// cut before the first stop sequence, holding back text that might begin one.
struct ChoiceAssembler {
    enum Delta: Equatable {
        case reasoning(String)
        case content(String)
    }

    let stops: [[Unicode.Scalar]]
    let vocabulary: Vocabulary
    private(set) var reasoningTokens = 0
    private(set) var answerTokens = 0
    /// A stop sequence was met; the sample should be stopped.
    private(set) var stopped = false
    private var reasoningBytes: [UInt8] = []
    private var answerBytes: [UInt8] = []
    private var answer: [Unicode.Scalar] = []
    private var answerSent = 0

    init(stops: [String], vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        self.stops = stops.map { Array($0.unicodeScalars) }.filter { !$0.isEmpty }
    }

    private var holdBack: Int { (stops.map(\.count).max() ?? 1) - 1 }

    /// The deltas one more token makes visible.
    mutating func feed(_ token: GeneratedToken) -> [Delta] {
        guard !stopped else { return [] }
        let marker = vocabulary.markers
        if token.token == marker.thinkStart || token.token == marker.thinkEnd || token.token == marker.endOfTurn {
            return []
        }
        // A special token (a tool marker) is its text.
        let bytes = vocabulary.bytes(of: token.token)
        if token.part == .thinking {
            reasoningTokens += 1
            reasoningBytes += bytes
            let text = Self.takeCompleteUTF8(&reasoningBytes)
            return text.isEmpty ? [] : [.reasoning(text)]
        }
        answerTokens += 1
        answerBytes += bytes
        answer += Self.takeCompleteUTF8(&answerBytes).unicodeScalars
        return releaseAnswer(final: false)
    }

    /// What is still held back, at the end of the sample.
    mutating func finish() -> [Delta] {
        guard !stopped else { return [] }
        var deltas: [Delta] = []
        if !reasoningBytes.isEmpty {
            deltas.append(.reasoning(String(decoding: reasoningBytes, as: UTF8.self)))
            reasoningBytes = []
        }
        if !answerBytes.isEmpty {
            answer += String(decoding: answerBytes, as: UTF8.self).unicodeScalars
            answerBytes = []
        }
        return deltas + releaseAnswer(final: true)
    }

    private mutating func releaseAnswer(final: Bool) -> [Delta] {
        var end = answer.count
        if let cut = firstStop() {
            end = cut
            stopped = true
        } else if !final {
            end = max(answerSent, answer.count - holdBack)
        }
        guard end > answerSent else { return [] }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: answer[answerSent..<end])
        answerSent = end
        return [.content(String(text))]
    }

    private func firstStop() -> Int? {
        var best: Int?
        for stop in stops where stop.count <= answer.count {
            for start in 0...(answer.count - stop.count) where answer[start..<(start + stop.count)].elementsEqual(stop) {
                best = min(best ?? start, start)
                break
            }
        }
        return best
    }

    /// Removes and returns the longest prefix of `bytes` that ends on a character boundary.
    static func takeCompleteUTF8(_ bytes: inout [UInt8]) -> String {
        var cut = bytes.count
        // Look back at most 3 bytes for the lead byte of an unfinished character.
        var i = bytes.count - 1
        while i >= 0 && i >= bytes.count - 4 {
            let b = bytes[i]
            if b & 0xC0 == 0x80 { i -= 1; continue }  // continuation byte
            let need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
            if bytes.count - i < need { cut = i }
            break
        }
        let text = String(decoding: bytes[..<cut], as: UTF8.self)
        bytes.removeFirst(cut)
        return text
    }
}
