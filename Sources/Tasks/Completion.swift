import Foundation

/// The parts of a model completion `<think>thinking</think>answer<|end|>`.
public struct Completion: Sendable, Equatable {
    public let thinking: String?
    /// The answer text, trimmed; nil when thinking was opened and never closed.
    public let answer: String?

    /// Splits a completion. Text with no `<think>` is all answer (the answer-only format);
    /// an unclosed `<think>` leaves no answer.
    public init(_ text: String) {
        var body = Substring(text)
        if let end = body.range(of: "<|end|>") { body = body[..<end.lowerBound] }
        if let open = body.range(of: "<think>") {
            let rest = body[open.upperBound...]
            if let close = rest.range(of: "</think>") {
                thinking = String(rest[..<close.lowerBound])
                answer = String(rest[close.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
            } else {
                thinking = String(rest)
                answer = nil
            }
        } else {
            thinking = nil
            answer = String(body).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}
