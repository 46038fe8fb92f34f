import ArgumentParser
import Tasks

/// The task a command names, checked against the difficulty asked for (a file task has only
/// difficulty 0, whatever was asked).
func resolveTask(_ name: String, difficulty: Int, verifier: String? = nil) throws -> (task: any ReasoningTask, difficulty: Int) {
    let task = try TaskRegistry.resolve(name, verifier: verifier)
    let difficulty = task is FileTask ? 0 : difficulty
    guard task.difficulties.contains(difficulty) else {
        throw ValidationError("--difficulty for \(name) must be in \(task.difficulties.lowerBound)...\(task.difficulties.upperBound)")
    }
    return (task, difficulty)
}

/// `--budgets 0,32,128`: comma-separated non-negative thinking budgets.
func parseBudgets(_ text: String) throws -> [Int] {
    let parts = text.split(separator: ",")
    let budgets = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !budgets.isEmpty, budgets.count == parts.count, budgets.allSatisfy({ $0 >= 0 }) else {
        throw ValidationError("--budgets must be comma-separated non-negative integers")
    }
    return budgets
}
