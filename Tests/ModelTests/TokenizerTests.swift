import Testing
import Kernels
import Model

@Suite struct TokenizerTests {
    @Test func arbitraryUTF8RoundTrips() {
        let samples = ["", "hello", "2+3*4=14", "naïve café — 東京 🍓👩‍👩‍👧", "<think>not special</think>", "\u{0}\n\t"]
        for s in samples { #expect(Tokenizer.decode(Tokenizer.encode(s)) == s) }
        var rng = SeededRNG(seed: 3)
        for _ in 0..<200 {
            let scalars = (0..<Int(rng.next() % 20)).compactMap { _ in Unicode.Scalar(UInt32(rng.next() % 0x2FFFF)) }
            let s = String(String.UnicodeScalarView(scalars))
            #expect(Tokenizer.decode(Tokenizer.encode(s)) == s)
        }
    }

    @Test func userTextNeverBecomesSpecialTokens() {
        let tokens = Tokenizer.encode("<think></think><|end|>")
        #expect(tokens.allSatisfy { $0 < 256 })
    }

    @Test func specialsAreRecognisedInTrustedText() {
        let tokens = Tokenizer.encodeWithSpecials("<think>a</think>b")
        #expect(tokens == [Tokenizer.Special.thinkStart.rawValue, 97, Tokenizer.Special.thinkEnd.rawValue, 98])
        #expect(Tokenizer.decode(tokens) == "<think>a</think>b")
        let chat = Vocabulary.strawberry.prompt("hi") + Vocabulary.strawberry.completion("<think>x</think>y")
        #expect(Tokenizer.decode(chat) == "<|user|>hi<|assistant|><think>x</think>y<|end|>")
    }

    @Test func invalidSequencesDecodeWithoutCrashing() {
        let invalid: [Int32] = [0xFF, 0xC3, 0x28, 0xE2, 0x82, 65, 0xF0, 0x9F]
        let text = Tokenizer.decode(invalid)
        #expect(text.contains("\u{FFFD}"))
        #expect(text.contains("A"))
        #expect(Tokenizer.decode([-4, 5000]) == "<|id:-4|><|id:5000|>")
        #expect(Tokenizer.vocabSize == 272)
        #expect(Tokenizer.Special.allCases.allSatisfy { $0.rawValue >= 256 && $0.rawValue < 272 })
    }
}
