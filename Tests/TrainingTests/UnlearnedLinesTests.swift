import Foundation
import Testing
import TestSupport
import Model
import Tasks
import Training

/// A worked solution's false claim that its own check refutes (`--traces checked`) is shown in SFT
/// but not learned: `unlearnedLines`, from the task through the JSONL file to the token weights.
@Suite struct UnlearnedLinesTests {
    static let vocabulary = Vocabulary.strawberry
    static let completion = "<think>Target 5.\n2+2=5 yes\nCheck: 2+2: 2+2=4, not 5.\n3+2=5 yes\n</think>3+2"

    /// The completion's text per token, and whether each is learned.
    static func learnedText(_ example: SFTDataset.Example) -> (learned: String, unlearned: String) {
        var learned = "", unlearned = ""
        for i in example.completionStart..<example.tokens.count where example.tokens[i] != vocabulary.markers.endOfTurn {
            let text = Tokenizer.decode([example.tokens[i]])
            if example.learned[i] { learned += text } else { unlearned += text }
        }
        return (learned, unlearned)
    }

    @Test func theListedLinesAndTheirNewlinesAreNotLearned() {
        let plain = SFTDataset.example(prompt: "q", completion: Self.completion, maxTokens: 256, vocabulary: Self.vocabulary).0
        #expect(Self.learnedText(plain).unlearned.isEmpty)
        let masked = SFTDataset.example(prompt: "q", completion: Self.completion, maxTokens: 256, vocabulary: Self.vocabulary,
                                        unlearnedLines: [1]).0
        #expect(masked.tokens == plain.tokens)
        #expect(Self.learnedText(masked).unlearned == "2+2=5 yes\n")
        #expect(Self.learnedText(masked).learned == "<think>Target 5.\nCheck: 2+2: 2+2=4, not 5.\n3+2=5 yes\n</think>3+2")
        // Shown with a budget line, the same line is left out of the loss.
        let leveled = SFTDataset.example(prompt: "q", completion: Self.completion, maxTokens: 256, vocabulary: Self.vocabulary,
                                         budgetLevel: 400, unlearnedLines: [1]).0
        #expect(Self.learnedText(leveled).unlearned == "2+2=5 yes\n")
    }

    @Test func countdownListsTheRefutedClaimOnly() throws {
        let task = Countdown()
        var withClaim = 0
        for p in task.problems(count: 60, difficulty: 3, split: .train) {
            let checked = try #require(task.trace(p, style: .checked, maxThinkingTokens: 4096))
            let lines = checked.components(separatedBy: "\n")
            let unlearned = task.unlearnedLines(p, completion: checked)
            #expect(unlearned.count <= 1)
            for i in unlearned {
                #expect(lines[i].hasSuffix(" yes") && lines[i + 1].hasSuffix(", not \(p.target)."), "\(lines[i])")
            }
            withClaim += unlearned.count
            let human = try #require(task.trace(p, style: .human, maxThinkingTokens: 4096))
            #expect(task.unlearnedLines(p, completion: human).isEmpty, "a true claim is always learned")
        }
        #expect(withClaim > 10)
    }

    @Test func theLinesTravelThroughTheDataFile() throws {
        let task = Countdown()
        let (examples, _) = WorkedExamples.make(task: task, difficulty: 3, split: .train, count: 40, style: .checked,
                                                maxThinkingTokens: 4096)
        let claimed = try #require(examples.first { $0.unlearnedLines != nil })
        #expect(claimed.unlearnedLines == task.unlearnedLines(claimed.problem, completion: claimed.completion))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("unlearned-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: url) }
        try WorkedExamples.jsonLines(examples).write(to: url)
        let loaded = try SFTDataset.load(path: url.path, maxTokens: 256, vocabulary: Self.vocabulary)
        let direct = SFTDataset(worked: examples, maxTokens: 256, vocabulary: Self.vocabulary)
        #expect(loaded.examples == direct.examples)
        #expect(direct.examples.contains { $0.learned.contains(false) && Self.learnedText($0).unlearned.hasSuffix(" yes\n") })

        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("unlearned-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: bad) }
        try Data(#"{"prompt": "q", "completion": "<think>a</think>b", "unlearned_lines": "one"}"#.utf8).write(to: bad)
        #expect(throws: TrainingError.self) { try SFTDataset.load(path: bad.path, maxTokens: 256, vocabulary: Self.vocabulary) }
    }
}
