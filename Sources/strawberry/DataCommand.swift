import ArgumentParser
import Foundation
import Tasks

/// `strawberry data`: SFT data (problems with worked solutions) from a task's generator.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Write {\"prompt\", \"completion\"} JSONL for a task, or show a few problems with their traces.",
        discussion: """
        Train and test problems never overlap: a problem's split is decided by its content. \
        Problems whose worked solution would exceed --max-thinking tokens are skipped.

        Example: strawberry data --task countdown --difficulty 3 --n 20000 > sft.jsonl
        """
    )

    @OptionGroup var taskOptions: TaskOptions

    @Option(help: "Which side of the train/test split.")
    var split = Split.train

    @Option(help: "Number of problems.")
    var n = 1000

    @Option(help: "Worked solutions: human (all arithmetic in the text), tool (calculator calls), brief (no steps back, no final check), hurried (the human search, the step nearest the target first), checked (a check that works the answer out again and, for half of the problems, catches a false claim first), none (answer only).")
    var traces = TraceStyle.human

    @Flag(help: "Also write each problem's solution for small budget levels (\"brief\", in the --brief-traces style), which `sft --brief-below` shows.")
    var withBrief = false

    @Option(help: SFTCommand.briefTracesHelp)
    var briefTraces = SmallBudgetTraces.brief

    @Option(help: "Longest thinking kept, in tokens (a byte each; tool markers one each).")
    var maxThinking = 4096

    @Option(help: "Base seed of the generator.")
    var seed: UInt64 = 0

    @Flag(help: "Pretty-print the first few problems with their traces instead of writing JSONL.")
    var show = false

    @Option(help: Countdown.SearchOrder.help)
    var searchOrder = Countdown.SearchOrder.listed

    func validate() throws {
        guard n > 0, maxThinking > 0 else { throw ValidationError("--n and --max-thinking must be positive") }
        try SFTCommand.validateBriefTraces(briefTraces, used: withBrief, by: "--with-brief")
    }

    func run() throws {
        let (resolved, difficulty) = try taskOptions.resolve()
        let t = try searchOrder.apply(to: resolved)
        let task = taskOptions.task
        let (examples, skipped) = WorkedExamples.make(task: t, difficulty: difficulty, split: split,
                                                      count: show ? min(n, 5) : n, style: traces,
                                                      maxThinkingTokens: maxThinking, seed: seed,
                                                      briefStyle: withBrief ? briefTraces.style : nil)
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
