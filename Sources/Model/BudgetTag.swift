/// The thinking budget written into the prompt, so that a model can see how long it may think.
///
/// A model trained with budget levels (`ModelConfig.budgetLevels`, `sft --budget-tags`) reads a
/// last line `budget: 128` under the user's message; each training example draws one level and
/// its thinking ends there. At inference the engine writes the level for the request's thinking
/// budget: the smallest level at or above it, the largest when the budget is beyond them all.
public enum BudgetTag {
    /// The levels `--budget-tags default` trains on: the budgets the evaluations report.
    public static let defaultLevels = [0, 32, 64, 128, 200, 400]

    /// The level a thinking budget of `tokens` is shown as, or nil for a model without levels.
    public static func level(forThinking tokens: Int, in levels: [Int]) -> Int? {
        guard let largest = levels.max() else { return nil }
        return levels.filter { $0 >= tokens }.min() ?? largest
    }

    /// The user's message with the budget line under it; unchanged when `level` is nil.
    public static func tagged(_ user: String, level: Int?) -> String {
        guard let level else { return user }
        return user + "\nbudget: \(level)"
    }

    /// Checks a list of levels: non-negative, distinct, and not empty.
    public static func validate(_ levels: [Int]) throws(ModelError) {
        guard !levels.isEmpty, levels.allSatisfy({ $0 >= 0 }), Set(levels).count == levels.count else {
            throw .invalidConfig("budget levels \(levels) must be distinct non-negative token counts, at least one")
        }
    }
}
