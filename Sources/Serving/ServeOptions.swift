import Reasoning

/// How the server turns requests into generations.
public struct ServeOptions: Sendable {
    /// The name clients use for the model (`GET /v1/models`).
    public var modelName: String
    public var efforts = EffortTable()
    /// Return only the answer, as o1 does; reasoning tokens are still counted.
    public var hideReasoning = false
    /// Whether the model writes `<think>…</think>` before answering.
    public var thinks = true
    /// Most answer tokens after the thinking.
    public var maxAnswer = 128
    /// Seconds a request may take; when they run out during thinking the model is made to answer.
    public var timeout: Double = 60

    public init(modelName: String) {
        self.modelName = modelName
    }
}
