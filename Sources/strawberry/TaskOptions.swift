import ArgumentParser
import Tasks

/// `--task`, `--difficulty` and `--verifier`, the same in every command that uses a task.
struct TaskOptions: ParsableArguments {
    @Option(help: "Task: \(TaskRegistry.names.joined(separator: ", ")), or file:PATH for your own JSONL.")
    var task = "countdown"

    @Option(help: "Difficulty (countdown: 3-5 numbers; arithmetic: 1-8 digits; programs: 1-2 operations; a file task has only 0).")
    var difficulty = 3

    @Option(help: "For file:PATH tasks: a shell command that reads {prompt, answer, tests, completion} JSON and prints {\"reward\": 0…1}; it runs sandboxed.")
    var verifier: String?

    /// The task and its difficulty (a file task's is 0, whatever was asked); warns once when a
    /// verifier will run with reduced isolation.
    func resolve() throws -> (task: any ReasoningTask, difficulty: Int) {
        let resolved = try TaskRegistry.resolve(task, verifier: verifier)
        if verifier != nil, case .reduced(let why) = Sandbox.isolation {
            log("warning: the verifier runs with reduced isolation: \(why)")
        }
        let difficulty = resolved is FileTask ? 0 : difficulty
        guard resolved.difficulties.contains(difficulty) else {
            throw ValidationError("--difficulty for \(task) must be in \(resolved.difficulties.lowerBound)...\(resolved.difficulties.upperBound)")
        }
        return (resolved, difficulty)
    }
}
