import Foundation

/// A reward computed by a command the user supplies, run untrusted in the `Sandbox`.
///
/// The command reads one JSON object on stdin — `{"prompt", "answer", "tests", "completion"}` —
/// and prints one JSON object: `{"reward": 0…1, "correct": bool?, "detail": string?}`. A verifier
/// that crashes, hangs, floods its output or prints something else earns reward 0 and a detail
/// that says what happened.
public struct ExternalVerifier: Sendable {
    public let command: String
    public let directory: String
    public let limits: Sandbox.Limits

    public init(command: String, directory: String = FileManager.default.currentDirectoryPath,
                limits: Sandbox.Limits = Sandbox.Limits()) {
        self.command = command
        self.directory = directory
        self.limits = limits
    }

    public func score(_ problem: Problem, completion: String) -> Score {
        var request: [String: Any] = ["prompt": problem.prompt, "completion": completion]
        request["answer"] = problem.key.isEmpty ? NSNull() : problem.key
        request["tests"] = problem.tests.map { ["input": $0.input, "output": $0.output, "visible": $0.visible] }
        let input = (try? JSONSerialization.data(withJSONObject: request, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        let outcome = Sandbox.run(command, input: input, directory: directory, limits: limits)
        if outcome.timedOut { return .verifierFailed("verifier killed after \(limits.wallSeconds)s deadline") }
        if outcome.outputTooLarge { return .verifierFailed("verifier killed: output over \(limits.outputBytes) bytes") }
        if let signal = outcome.signal { return .verifierFailed("verifier killed by signal \(signal)") }
        guard outcome.exitCode == 0 else {
            let message = String(decoding: outcome.stderr.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return .verifierFailed("verifier exited with status \(outcome.exitCode ?? -1)" + (message.isEmpty ? "" : ": \(message)"))
        }
        guard let object = try? JSONSerialization.jsonObject(with: outcome.stdout) as? [String: Any],
              let reward = (object["reward"] as? NSNumber)?.doubleValue, reward.isFinite, (0...1).contains(reward) else {
            let printed = String(decoding: outcome.stdout.prefix(80), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return .verifierFailed("verifier printed no JSON object with a reward between 0 and 1"
                                   + (printed.isEmpty ? " (it printed nothing)" : " (it printed '\(printed)')"))
        }
        let correct = (object["correct"] as? Bool) ?? (reward == 1)
        let detail = (object["detail"] as? String).map { String($0.prefix(500)) } ?? "reward \(reward)"
        return Score(reward: reward, wellFormed: true, correct: correct, detail: detail)
    }
}
