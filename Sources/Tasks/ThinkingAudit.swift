/// What one thinking did on the way to its answer, read line by line: the arithmetic it wrote, the
/// mistakes in it, and whether the search went on past a mistake to reach the target. These can
/// move under RL where the reflection rate cannot (every human trace backtracks and checks).
public struct ThinkingAudit: Codable, Sendable, Equatable {
    /// Arithmetic steps written (`a op b=r`, worked or asked of the calculator).
    public var steps = 0
    /// Steps whose written result is wrong (`36*12=412`).
    public var slips = 0
    /// `… yes` lines that do not reach the target, or reach it by a slip.
    public var falseClaims = 0
    /// `… no` lines whose result, correctly worked, is the target: a solution passed by.
    public var misses = 0
    /// Of the slips, false claims and misses, those after which the same thinking still writes a
    /// true `… yes`: the search went on past the mistake and found the target.
    public var recovered = 0
    /// Steps written up to and including the first true `… yes`; nil when there is none.
    public var stepsToSolution: Int?

    public init() {}

    /// Slips, false claims and misses together.
    public var mistakes: Int { slips + falseClaims + misses }
}
