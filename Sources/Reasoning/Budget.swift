/// Limits on one generation: how long to think, how long to answer, when to stop.
public struct Budget: Codable, Sendable, Equatable {
    /// Most tokens between `<think>` and `</think>`; at the limit `</think>` is forced.
    public var maxThinking: Int
    /// Most tokens after `</think>`.
    public var maxAnswer: Int
    /// Seconds from the start of the request; when reached during thinking, `</think>` is
    /// forced and the model answers ("answer before the time is up").
    public var deadline: Double?
    /// Fewest thinking tokens: an earlier `</think>` is suppressed and `continuation` appended
    /// (budget forcing, as in s1).
    public var minThinking: Int
    public var continuation: String
    /// Most thinking and answer tokens together (the API's `max_completion_tokens`); reaching it
    /// ends the generation with finish reason `length`.
    public var maxCompletion: Int?

    /// The answer cap of training rollouts (RL, distillation, expert iteration): a Countdown
    /// answer takes at most about 20 tokens, and a longer one is not an answer.
    public static let trainingAnswerTokens = 24

    public init(maxThinking: Int = 256, maxAnswer: Int = 32, deadline: Double? = nil, minThinking: Int = 0,
                continuation: String = "\nWait,", maxCompletion: Int? = nil) {
        self.maxThinking = maxThinking
        self.maxAnswer = maxAnswer
        self.deadline = deadline
        self.minThinking = minThinking
        self.continuation = continuation
        self.maxCompletion = maxCompletion
    }
}
