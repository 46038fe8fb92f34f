import ArgumentParser
import Foundation
import Kernels
import Model
import Reasoning
import Tasks

/// `strawberry bench engine`: what the server's and evaluation's decoding costs, measured as they
/// run it — a task's prompts decoded by continuous batching (`DecodeBatch`), sampled, with the
/// budget rules — where `bench generate` times the bare cached forward pass.
struct EngineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Requests/s and tokens/s of continuous batching on a task's prompts (prefill, sampling and budget rules included), and where a step's time goes.")

    @Option(help: "The model to decode with (a run folder or checkpoint).")
    var model: String

    @OptionGroup var task: TaskOptions

    @OptionGroup var precision: PrecisionOption

    @Option(help: "Requests per measurement (test-split problems, one request each).")
    var requests = 256

    @Option(help: "Comma-separated slot counts: sequences decoded at once (for a model of up to 16M parameters, shared out among one batch per core).")
    var slots = SizeList([1, 16])

    @Option(help: "Thinking budget per request, in tokens (the server's `medium` is 128).")
    var budget = 128

    @Option(help: "Sampling temperature (0 = greedy; the server's default is 1).")
    var temperature: Float = 1

    @Flag(help: "Also print where the time of a step goes (GEMM, attention, sampling, …, and the rest: prefill bookkeeping and budget rules).")
    var phases = false

    func validate() throws {
        guard (1...100_000).contains(requests) else { throw ValidationError("--requests must be between 1 and 100,000") }
        guard budget >= 0 else { throw ValidationError("--budget must be 0 or more") }
        guard temperature >= 0 else { throw ValidationError("--temperature must be 0 or more") }
    }

    func run() throws {
        let loaded = try precision.load(model)
        let (task, difficulty) = try self.task.resolve()
        let problems = task.problems(count: requests, difficulty: difficulty, split: .test)
        let made = problems.enumerated().map { i, problem in
            GenerationRequest(user: problem.prompt, sampling: SamplingOptions(temperature: temperature, seed: UInt64(i)),
                              budget: Budget(maxThinking: budget))
        }
        print("\(model): \(loaded.config.parameterCount.formatted()) parameters, \(requests) \(task.name) requests, thinking budget \(budget), temperature \(temperature); \(CPU.summary)")
        print("slots   batches   requests/s   tokens/s   steps   ms per step")
        for asked in slots.values {
            // More slots than requests would hold nothing but their caches.
            let width = min(asked, made.count)
            let decoding = ReplicatedDecoding(model: loaded, slots: width)
            if phases { Profile.start() }
            let start = Date()
            let (generations, steps) = try decoding.run(made)
            let seconds = Date().timeIntervalSince(start), tokens = generations.reduce(0) { $0 + $1.tokens.count }
            Profile.stop()
            // Per step of the first batch: the phases are timed on its thread (the calling one).
            let first = max(1, steps[0])
            print(String(format: "%5d   %7d   %10.1f   %8.0f   %5d   %11.3f", width, steps.count, Double(made.count) / seconds,
                         Double(tokens) / seconds, steps.reduce(0, +), seconds / Double(first) * 1000))
            if phases { printPhases(perStep: seconds / Double(first), steps: first, unit: "step") }
        }
    }
}
