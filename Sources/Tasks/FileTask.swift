import Foundation

/// Your own task from a JSONL file: lines `{"prompt": …, "answer": …}` scored by exact match of
/// the answer, or `{"prompt": …, "tests": [{"input": …, "output": …, "visible": bool}]}` scored by
/// running a program answer on the hidden tests — or either scored by an `ExternalVerifier`.
public struct FileTask: ReasoningTask {
    public let name: String
    public let difficulties = 0...0
    public let problems: [Problem]
    public let verifier: ExternalVerifier?

    public init(path: String, verifier: ExternalVerifier? = nil) throws(TaskError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .data("cannot read task file '\(path)'") }
        var problems: [Problem] = []
        for (line, object) in try JSONLines.objects(data, path: path) {
            guard let prompt = object["prompt"] as? String, !prompt.isEmpty else {
                throw .data("\(path):\(line): missing string field \"prompt\"")
            }
            let answer = object["answer"].map { $0 as? String ?? "\($0)" } ?? ""
            var tests: [ProgramTest] = []
            if let list = object["tests"] {
                guard let items = list as? [[String: Any]] else {
                    throw .data("\(path):\(line): \"tests\" must be a list of {\"input\", \"output\"} objects")
                }
                for item in items {
                    guard let input = item["input"].map({ "\($0)" }), let output = item["output"].map({ "\($0)" }),
                          ProgramValue.parse(input) != nil, ProgramValue.parse(output) != nil else {
                        throw .data("\(path):\(line): each test needs an \"input\" and \"output\" that are integers or integer lists")
                    }
                    tests.append(ProgramTest(input: input, output: output, visible: item["visible"] as? Bool ?? false))
                }
            }
            guard !answer.isEmpty || !tests.isEmpty || verifier != nil else {
                throw .data("\(path):\(line): needs an \"answer\" or \"tests\" (or run with an external verifier)")
            }
            problems.append(Problem(task: "file", seed: UInt64(problems.count), difficulty: 0, prompt: prompt,
                                    key: answer, tests: tests))
        }
        guard !problems.isEmpty else { throw .data("task file '\(path)' holds no problems") }
        name = "file:" + path
        self.problems = problems
        self.verifier = verifier
    }

    /// The problem on line `seed mod count` (files are their own split).
    public func generate(seed: UInt64, difficulty: Int) -> Problem { problems[Int(seed % UInt64(problems.count))] }

    /// Files are their own split: the `index`-th line, whatever split is asked for.
    public func problem(index: Int, difficulty: Int, split: Split, baseSeed: UInt64) -> Problem {
        problems[index % problems.count]
    }

    public func canonical(_ problem: Problem) -> String { problem.prompt }

    public func score(_ problem: Problem, completion: String) -> Score {
        if let verifier { return verifier.score(problem, completion: completion) }
        if !problem.tests.isEmpty { return Programs().score(problem, completion: completion) }
        guard let answer = Completion(completion).answer else { return .malformed("thinking never closed") }
        if answer.isEmpty { return .malformed("no answer after the thinking") }
        return answer == problem.key.trimmingCharacters(in: .whitespacesAndNewlines)
            ? .right("matches the answer") : .wrong("'\(answer.prefix(60))' does not match the answer")
    }

    /// Files carry answers, not worked solutions: only the answer-only style exists.
    public func trace(_ problem: Problem, style: TraceStyle, maxThinkingTokens: Int) -> String? {
        style == .none && !problem.key.isEmpty ? problem.key : nil
    }

    public func check(_ problem: Problem, completion: String) -> Score? {
        problem.tests.contains(where: \.visible) ? Programs.visibleCheck(problem, completion: completion) : nil
    }

    public func runTool(_ call: String, problem: Problem) -> String {
        problem.tests.isEmpty ? calculator(call) : Programs().runTool(call, problem: problem)
    }
}

/// Errors from loading task files.
