import ArgumentParser
import Foundation
import Tasks

/// `strawberry data`: SFT data (problems with worked solutions) from a task's generator.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Write {\"prompt\", \"completion\"} JSONL for a task, or show a few problems with their traces.",
        discussion: """
        Train and test problems never overlap: a problem's split is decided by its content.
        Problems whose worked solution would exceed --max-thinking tokens are skipped.
        Example: strawberry data --task countdown --difficulty 3 --n 20000 > sft.jsonl
        """
    )

    @Option(help: "Task: \(TaskRegistry.names.joined(separator: ", ")).")
    var task = "countdown"

    @Option(help: "Difficulty (countdown: 3-5 numbers; arithmetic: 1-8 digits; programs: 1-2 operations).")
    var difficulty = 3

    @Option(help: "train or test.")
    var split = "train"

    @Option(help: "Number of problems.")
    var n = 1000

    @Option(help: "Worked solutions: human (all arithmetic in the text), tool (calculator calls), none (answer only).")
    var traces = "human"

    @Option(name: .customLong("max-thinking"), help: "Longest thinking kept, in tokens (a byte each; tool markers one each).")
    var maxThinking = 4096

    @Option(help: "Base seed of the generator.")
    var seed: UInt64 = 0

    @Flag(help: "Pretty-print the first few problems with their traces instead of writing JSONL.")
    var show = false

    @Option(name: .customLong("search-order"), help: "Countdown's worked solutions: search the numbers as listed, shuffled (the trace restates them in a random order first, a choice RL can learn), or shuffled-operations (the order of + - * / too).")
    var searchOrder = "listed"

    func validate() throws {
        guard let t = TaskRegistry.task(named: task) else {
            throw ValidationError("unknown task '\(task)'; choose one of \(TaskRegistry.names.joined(separator: ", "))")
        }
        guard t.difficulties.contains(difficulty) else {
            throw ValidationError("--difficulty for \(task) must be in \(t.difficulties.lowerBound)...\(t.difficulties.upperBound)")
        }
        guard Split(rawValue: split) != nil else { throw ValidationError("--split must be train or test") }
        guard TraceStyle(rawValue: traces) != nil else { throw ValidationError("--traces must be human, tool or none") }
        guard n > 0, maxThinking > 0 else { throw ValidationError("--n and --max-thinking must be positive") }
    }

    func run() throws {
        let t = try withSearchOrder(searchOrder, TaskRegistry.task(named: task)!)
        let style = TraceStyle(rawValue: traces)!
        let side = Split(rawValue: split)!
        let (examples, skipped) = WorkedExamples.make(task: t, difficulty: difficulty, split: side,
                                                      count: show ? min(n, 5) : n, style: style,
                                                      maxThinkingTokens: maxThinking, seed: seed)
        if examples.isEmpty || (!show && examples.count < n) {
            throw ValidationError("only \(examples.count) of \(n) \(task) problems fit --max-thinking \(maxThinking); raise it")
        }
        let out = FileHandle.standardOutput
        for e in examples {
            if show {
                print("── \(task) d\(difficulty) seed \(e.problem.seed) ── \(e.problem.prompt)")
                print(e.completion.replacingOccurrences(of: "<think>", with: "<think>\n"))
                print("score: \(t.score(e.problem, completion: e.completion).detail)\n")
            } else {
                out.write(try e.jsonLine())
            }
        }
        if skipped > 0 { log("skipped \(skipped) problems whose trace exceeds \(maxThinking) tokens") }
    }
}
