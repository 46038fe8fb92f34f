import ArgumentParser
import Model
import Reasoning
import Tasks
import Training

// Enumerations the command line takes by name; `--help` lists their values.
extension TraceStyle: ExpressibleByArgument {}
extension Split: ExpressibleByArgument {}
extension Countdown.SearchOrder: ExpressibleByArgument {}
extension GRPOOptions.Aggregation: ExpressibleByArgument {}
extension TrainingPipeline.RLMethod: ExpressibleByArgument {}
extension GGUFExport.Precision: ExpressibleByArgument {}

/// `--budgets 0,32,128`: comma-separated non-negative thinking budgets.
struct BudgetList: ExpressibleByArgument {
    let values: [Int]

    init(_ values: [Int]) { self.values = values }

    init?(argument: String) {
        let parts = argument.split(separator: ",")
        let budgets = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !budgets.isEmpty, budgets.count == parts.count, budgets.allSatisfy({ $0 >= 0 }) else { return nil }
        values = budgets
    }

    var defaultValueDescription: String { values.map(String.init).joined(separator: ",") }
}

/// `--strategies single,vote:8`: comma-separated test-time strategies.
struct StrategyList: ExpressibleByArgument {
    let names: [String]

    init(_ names: [String]) { self.names = names }

    init?(argument: String) {
        let names = argument.split(separator: ",").map(String.init)
        guard !names.isEmpty, names.allSatisfy({ (try? StrategyParser.parse($0)) != nil }) else { return nil }
        self.names = names
    }

    var defaultValueDescription: String { names.joined(separator: ",") }
}

extension Countdown.SearchOrder {
    /// `task` with its worked solutions searched in this order: Countdown takes any order, other
    /// tasks only the listed one.
    func apply(to task: any ReasoningTask) throws -> any ReasoningTask {
        if task is Countdown { return Countdown(searchOrder: self) }
        guard self == .listed else { throw ValidationError("--search-order \(rawValue) applies to countdown only") }
        return task
    }

    static let help = ArgumentHelp("Countdown's worked solutions: search the numbers as listed, shuffled (the trace restates them in a random order first, a choice RL can learn), or shuffled-operations (the order of + - * / too).")
}
