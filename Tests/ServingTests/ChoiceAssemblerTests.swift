import Model
import Reasoning
import Testing
@testable import Serving

@Suite struct ChoiceAssemblerTests {
    func token(_ t: Int32, _ part: TokenPart) -> GeneratedToken { GeneratedToken(token: t, part: part, forced: false, logProb: 0) }

    /// Feeds `<think>thinking</think>answer<end>` byte by byte and returns what was emitted.
    func run(thinking: String, answer: String, stops: [String]) -> (reasoning: String, content: String, a: ChoiceAssembler) {
        var a = ChoiceAssembler(stops: stops, vocabulary: .strawberry)
        let special = Tokenizer.Special.self
        var tokens = [token(special.thinkStart.rawValue, .thinking)]
        tokens += Tokenizer.encode(thinking).map { token($0, .thinking) }
        tokens.append(token(special.thinkEnd.rawValue, .thinking))
        tokens += Tokenizer.encode(answer).map { token($0, .answer) }
        tokens.append(token(special.endOfTurn.rawValue, .answer))
        var reasoning = "", content = ""
        func take(_ deltas: [ChoiceAssembler.Delta]) {
            for d in deltas {
                switch d {
                case .reasoning(let t): reasoning += t
                case .content(let t): content += t
                }
            }
        }
        for t in tokens { take(a.feed(t)) }
        take(a.finish())
        return (reasoning, content, a)
    }

    @Test func separatesThinkingFromAnswerWithoutMarkers() {
        let r = run(thinking: "7*6=42 yes", answer: "7*6", stops: [])
        #expect(r.reasoning == "7*6=42 yes" && r.content == "7*6" && !r.a.stopped)
        #expect(r.a.reasoningTokens == 10 && r.a.answerTokens == 3)
    }

    @Test func multiByteCharactersArriveWhole() {
        var a = ChoiceAssembler(stops: [], vocabulary: .strawberry)
        let bytes = Tokenizer.encode("é€😀")
        var pieces: [String] = []
        for b in bytes {
            for d in a.feed(token(b, .answer)) { if case .content(let t) = d { pieces.append(t) } }
        }
        #expect(pieces == ["é", "€", "😀"])
    }

    @Test func cutsAtTheEarliestStopEvenAcrossTokens() {
        let r = run(thinking: "x", answer: "abcSTOPdefEND", stops: ["END", "STOP"])
        #expect(r.content == "abc" && r.a.stopped)
        // Thinking is never cut by a stop sequence.
        let t = run(thinking: "STOP here", answer: "fine", stops: ["STOP"])
        #expect(t.reasoning == "STOP here" && t.content == "fine" && !t.a.stopped)
        // A partial stop at the very end is released.
        let p = run(thinking: "", answer: "abST", stops: ["STOP"])
        #expect(p.content == "abST" && !p.a.stopped)
    }
}
