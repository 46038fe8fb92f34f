import ArgumentParser
import Tasks

/// The task a command names, checked against the difficulty asked for (a file task has only
/// difficulty 0, whatever was asked).
func resolveTask(_ name: String, difficulty: Int, verifier: String? = nil) throws -> (task: any ReasoningTask, difficulty: Int) {
    let task = try TaskRegistry.resolve(name, verifier: verifier)
    if verifier != nil, case .reduced(let why) = Sandbox.isolation {
        log("warning: the verifier runs with reduced isolation: \(why)")
    }
    let difficulty = task is FileTask ? 0 : difficulty
    guard task.difficulties.contains(difficulty) else {
        throw ValidationError("--difficulty for \(name) must be in \(task.difficulties.lowerBound)...\(task.difficulties.upperBound)")
    }
    return (task, difficulty)
}

/// `--search-order listed|shuffled|shuffled-operations`: Countdown's worked solutions search the
/// numbers as listed, or restate them (and the operations) in a random order first; other tasks
/// have only the listed order.
func withSearchOrder(_ order: String, _ task: any ReasoningTask) throws -> any ReasoningTask {
    guard let searchOrder = Countdown.SearchOrder(rawValue: order) else {
        throw ValidationError("--search-order must be \(Countdown.SearchOrder.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    if task is Countdown { return Countdown(searchOrder: searchOrder) }
    guard searchOrder == .listed else { throw ValidationError("--search-order \(order) applies to countdown only") }
    return task
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
