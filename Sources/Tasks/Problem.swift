/// One generated problem: what the model sees, and the hidden key the verifier checks against.
public struct Problem: Codable, Sendable, Hashable {
    /// Name of the task that made it (`countdown`, `arithmetic`).
    public let task: String
    public let seed: UInt64
    public let difficulty: Int
    /// The user turn shown to the model.
    public let prompt: String
    /// Task-specific numbers (Countdown: the numbers to use; arithmetic: the operands).
    public let inputs: [Int]
    /// The number to reach or the exact result.
    public let target: Int
    /// A reference answer (a Countdown expression, the arithmetic result, a program).
    public let key: String
    /// Input/output tests of a program problem: the visible ones are in the prompt, the hidden
    /// ones decide the reward.
    public let tests: [ProgramTest]

    public init(task: String, seed: UInt64, difficulty: Int, prompt: String, inputs: [Int] = [], target: Int = 0,
                key: String, tests: [ProgramTest] = []) {
        self.task = task
        self.seed = seed
        self.difficulty = difficulty
        self.prompt = prompt
        self.inputs = inputs
        self.target = target
        self.key = key
        self.tests = tests
    }
}

/// One input → output example of a hidden function, values written like `[1,2,3]` or `7`.
public struct ProgramTest: Codable, Sendable, Hashable {
    public let input: String
    public let output: String
    public let visible: Bool

    public init(input: String, output: String, visible: Bool) {
        self.input = input
        self.output = output
        self.visible = visible
    }
}

/// A verifier's verdict on one completion, with its parts.
public struct Score: Codable, Sendable, Equatable {
    /// The reward used for RL: 0 without a parseable answer, 0.1 well-formed but wrong, 1 correct.
    public let reward: Double
    /// The completion had a parseable answer in the expected shape.
    public let wellFormed: Bool
    public let correct: Bool
    /// Why the answer was judged so, for people reading transcripts.
    public let detail: String
    /// Hidden tests passed and run, for program answers (partial credit, reported only).
    public var testsPassed: Int? = nil
    public var testsTotal: Int? = nil
    /// Set when the verifier itself failed (timed out, crashed, flooded its output, printed no
    /// verdict): the 0 reward then says nothing about the answer.
    public var verifierFailure: String? = nil

    public static func verifierFailed(_ why: String) -> Score {
        Score(reward: 0, wellFormed: false, correct: false, detail: why, verifierFailure: why)
    }
    public static func malformed(_ why: String) -> Score { Score(reward: 0, wellFormed: false, correct: false, detail: why) }
    public static func wrong(_ why: String) -> Score { Score(reward: 0.1, wellFormed: true, correct: false, detail: why) }
    public static func right(_ why: String) -> Score { Score(reward: 1, wellFormed: true, correct: true, detail: why) }
}

/// Which side of the train/test split a problem is on.
public enum Split: String, Codable, Sendable, CaseIterable {
    case train, test

    /// The split is a function of the problem's content (not its seed), so two seeds that happen
    /// to produce the same problem land on the same side: train and test can never share one.
    public static func of(canonical: String) -> Split {
        // FNV-1a over the canonical text; one problem in ten goes to test.
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in canonical.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash % 10 == 0 ? .test : .train
    }
}
