import ArgumentParser
import Foundation
import Model
import Reasoning

/// `strawberry chat`: talk to a model in the terminal, watching it think.
struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Type a problem; watch the thinking stream (dimmed), then the answer.")

    @Option(help: "Run folder or checkpoint directory.")
    var model: String

    /// How long the model may think.
    enum Effort: String, ExpressibleByArgument, CaseIterable {
        case low, medium, high

        var budget: Int {
            switch self {
            case .low: return 32
            case .medium: return 128
            case .high: return 512
            }
        }
    }

    @OptionGroup var precision: PrecisionOption

    @Option(help: "Thinking effort: low (32 tokens), medium (128) or high (512).")
    var effort = Effort.medium

    @Flag(help: "Print the thinking as it streams (otherwise only its length).")
    var showThinking = false

    @Option(help: "Sampling temperature (0 = greedy).")
    var temperature: Float = 0

    func run() throws {
        let budget = effort.budget
        let loaded = try precision.load(model)
        let engine = Engine(model: loaded, slots: 1)
        let vocabulary = loaded.vocabulary, marker = vocabulary.markers
        let dim = "\u{1B}[2m", reset = "\u{1B}[0m"
        log("model \(model) (\(loaded.config.parameterCount.formatted()) parameters), effort \(effort); empty line or Ctrl-D quits")
        var turn: UInt64 = 0
        while true {
            FileHandle.standardError.write(Data("> ".utf8))
            guard let line = readLine(), !line.trimmingCharacters(in: .whitespaces).isEmpty else { break }
            turn += 1
            let request = GenerationRequest(user: line, sampling: SamplingOptions(temperature: temperature, seed: turn),
                                            budget: Budget(maxThinking: budget, maxAnswer: 128))
            var answering = false
            var pendingBytes: [UInt8] = []
            let result = try engine.generate([request]) { _, token in
                if token.token == marker.thinkStart { if showThinking { print(dim, terminator: "") }; return }
                if token.token == marker.thinkEnd {
                    if showThinking { print(reset) }
                    answering = true
                    return
                }
                if token.token == marker.endOfTurn { return }
                guard answering || showThinking else { return }
                // Print whole UTF-8 characters only.
                pendingBytes += vocabulary.bytes(of: token.token)
                let text = String(decoding: pendingBytes, as: UTF8.self)
                if !text.hasSuffix("\u{FFFD}") || pendingBytes.count > 8 {
                    print(text, terminator: "")
                    pendingBytes = []
                }
                fflush(nil)
            }[0]
            print(reset)
            fflush(nil)
            log("(\(result.thinkingTokens) thinking tokens\(result.thinkingCut ? ", cut by the budget" : ""), \(result.answerTokens) answer tokens, \(String(format: "%.2f", result.seconds)) s)")
        }
    }
}
