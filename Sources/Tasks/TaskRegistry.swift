/// The tasks by name, for the command line.
public enum TaskRegistry {
    public static let all: [any ReasoningTask] = [Countdown(), Arithmetic(), Programs()]

    public static func task(named name: String) -> (any ReasoningTask)? { all.first { $0.name == name } }

    /// A built-in task by name, or `file:PATH` for a JSONL task scored by exact match, by its tests,
    /// or by `verifier` (a shell command run in the sandbox, in the current directory).
    public static func resolve(_ name: String, verifier: String? = nil) throws(TaskError) -> any ReasoningTask {
        if name.hasPrefix("file:") {
            return try FileTask(path: String(name.dropFirst(5)), verifier: verifier.map { ExternalVerifier(command: $0) })
        }
        guard verifier == nil else { throw .data("--verifier applies to file:PATH tasks only") }
        guard let task = task(named: name) else {
            throw .data("unknown task '\(name)'; choose one of \(names.joined(separator: ", ")) or file:PATH")
        }
        return task
    }

    public static var names: [String] { all.map(\.name) }
}
