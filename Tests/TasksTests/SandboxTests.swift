import Foundation
import Testing
import TestSupport
import Tasks

/// Hostile external verifiers are contained and reported; honest ones work, on right and wrong answers.
@Suite(.serialized) struct SandboxTests {
    static func directory() -> String {
        let path = Scratch.path("sandbox")
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o755])
        return path
    }

    static let problem = Problem(task: "file", seed: 0, difficulty: 0, prompt: "What is 6*7?", key: "42")

    /// A verifier running `command`. The default wall-clock limit is only a backstop for commands
    /// that end on their own: on a busy machine starting bash in a sandbox has taken over 2 s.
    static func verifier(_ command: String, wall: Double = 30, memory: Int = 1 << 30) -> ExternalVerifier {
        var limits = Sandbox.Limits()
        limits.wallSeconds = wall
        limits.memoryBytes = memory
        return ExternalVerifier(command: command, directory: directory(), limits: limits)
    }

    @Test func honestVerifierScoresRightAndWrongAnswers() {
        let v = Self.verifier(#"if grep -q '"completion":"<think>x</think>42"'; then echo '{"reward": 1, "detail": "yes"}'; else echo '{"reward": 0.1, "correct": false}'; fi"#)
        let right = v.score(Self.problem, completion: "<think>x</think>42")
        #expect(right.reward == 1 && right.correct && right.detail == "yes")
        let wrong = v.score(Self.problem, completion: "<think>x</think>41")
        #expect(wrong.reward == 0.1 && !wrong.correct)
    }

    @Test func badVerifierOutputIsAVerdict() {
        #expect(Self.verifier("echo not json").score(Self.problem, completion: "42").detail.contains("no JSON object"))
        #expect(Self.verifier(#"echo '{"reward": 7}'"#).score(Self.problem, completion: "42").reward == 0)
        let failed = Self.verifier("echo boom >&2; exit 3").score(Self.problem, completion: "42")
        #expect(failed.reward == 0 && failed.detail.contains("status 3") && failed.detail.contains("boom"))
    }

    @Test func infiniteLoopIsKilledAtTheDeadline() {
        let start = Date()
        let s = Self.verifier("while :; do :; done", wall: 1).score(Self.problem, completion: "42")
        #expect(s.reward == 0 && s.detail.contains("deadline"))
        #expect(Date().timeIntervalSince(start) < 30, "the deadline ends it, not the loop (a generous bound: a busy machine is slow to reap)")
    }

    @Test func forkBombIsContained() {
        let start = Date()
        let s = Self.verifier("bomb() { bomb | bomb & }; bomb; sleep 10", wall: 1.5).score(Self.problem, completion: "42")
        #expect(s.reward == 0)
        #expect(Date().timeIntervalSince(start) < 6)
        if getuid() == 0 {
            // Nothing of the sandboxed user survives the kill of its session.
            // Count the sandbox user's live processes, leaving out kernel threads (parent 2) that the
            // kernel briefly runs under that uid while it tears the pid namespace down, and zombies
            // (dead, waiting for the machine's init to reap them).
            var survivors = -1
            var listing = ""
            for _ in 0..<30 {
                let ps = Sandbox.run("ps -u 65534 -o ppid=,stat=,etimes=,comm= | awk '$1 != 2 && $2 !~ /^Z/' > /tmp/l; cat /tmp/l >&2; wc -l < /tmp/l", input: Data(), directory: "/")
                listing = String(decoding: ps.stderr, as: UTF8.self)
                survivors = Int(String(decoding: ps.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
                if survivors <= 6 { break }
                usleep(200_000)
            }
            // What remains is this check's own sandbox (bwrap twice, sh, ps, awk, wc).
            #expect(survivors <= 6, "processes of the sandbox user still running: \(survivors)\n\(listing)")
            // Without bubblewrap's PID namespace the killed processes are reaped by the machine's
            // init, which may be slow; their zombies count against the process limit of the next
            // sandboxed command, so wait for them to go (up to a minute).
            for _ in 0..<600 where Self.processes(ofUser: 65534) > 0 { usleep(100_000) }
        }
    }

    /// Processes (zombies included) owned by `uid`, read from /proc.
    static func processes(ofUser uid: Int) -> Int {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
        return pids.filter { pid in
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return false }
            return status.split(separator: "\n").first { $0.hasPrefix("Uid:") }?.split(separator: "\t").dropFirst().first == "\(uid)"[...]
        }.count
    }

    @Test func memoryHogFails() {
        let s = Self.verifier("x=$(head -c 600000000 /dev/zero | tr '\\0' a); echo '{\"reward\": 1}'", wall: 5,
                              memory: 200 << 20).score(Self.problem, completion: "42")
        #expect(s.reward == 0, "\(s.detail)")
    }

    @Test func hugeOutputIsCut() {
        let s = Self.verifier("yes").score(Self.problem, completion: "42")
        #expect(s.reward == 0 && s.detail.contains("output over"), "\(s.detail)")
    }

    @Test func writesStayInsideTheSandbox() {
        let outside = NSTemporaryDirectory() + "strawberry-escape-\(UUID().uuidString)"
        let v = Self.verifier("echo escaped > \(outside); echo pwned > pwned.txt; echo private > /tmp/mine && cat /tmp/mine >&2; echo '{\"reward\": 1}'")
        _ = v.score(Self.problem, completion: "42")
        if Sandbox.isolation == .bubblewrap {
            #expect(!FileManager.default.fileExists(atPath: outside), "a write escaped to the host /tmp")
        }
        #expect(!FileManager.default.fileExists(atPath: v.directory + "/pwned.txt"))
    }

    @Test func networkIsUnreachable() throws {
        // A listener on the host's loopback; a sandboxed verifier must not reach it.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = bind(fd, $0, length); _ = getsockname(fd, $0, &length) }
        }
        listen(fd, 4)
        let port = UInt16(bigEndian: address.sin_port)
        let v = Self.verifier("if bash -c 'echo hi > /dev/tcp/127.0.0.1/\(port)' 2>/dev/null; then echo '{\"reward\": 1, \"detail\": \"connected\"}'; else echo '{\"reward\": 0, \"detail\": \"no network\"}'; fi")
        let s = v.score(Self.problem, completion: "42")
        if Sandbox.isolation == .bubblewrap {
            #expect(s.detail == "no network")
        } else {
            #expect(s.detail == "connected" || s.detail == "no network", "\(s.detail)")
        }
    }

    @Test func reducedIsolationIsSaidPlainly() {
        switch Sandbox.isolation {
        case .bubblewrap: #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap"))
        case .reduced(let why): #expect(why.contains("bubblewrap"))
        }
    }
}

@Suite struct FileTaskTests {
    static func write(_ text: String) -> String {
        let path = Scratch.path("task", suffix: ".jsonl")
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func exactMatchAndTests() throws {
        let path = Self.write("""
        {"prompt": "Capital of France?", "answer": "Paris"}
        {"prompt": "Double it", "tests": [{"input": "2", "output": "4", "visible": true}, {"input": "5", "output": "10"}]}
        """)
        let task = try FileTask(path: path)
        let (a, b) = (task.generate(seed: 0, difficulty: 0), task.generate(seed: 1, difficulty: 0))
        #expect(task.score(a, completion: "<think>hmm</think>Paris").correct)
        #expect(task.score(a, completion: "<think>hmm</think>Lyon").reward == 0.1)
        #expect(task.score(a, completion: "<think>hmm").reward == 0)
        #expect(task.score(b, completion: "<think>…</think>x*2").correct)
        #expect(task.score(b, completion: "<think>…</think>x+2").reward == 0.1)
        #expect(task.runTool("x+2", problem: b) == "all 1 pass")
        #expect(task.trace(a, style: .none, maxThinkingTokens: 10) == "Paris")
    }

    @Test func badFilesNameTheLine() {
        let cases = [("{\"prompt\": \"a\", \"answer\": \"b\"}\nnope\n", "2: not valid JSON"),
                     ("{\"prompt\": \"a\", \"answer\": \"b\"}\n[1, 2]\n", "2: not a JSON object"),
                     ("{\"answer\": \"b\"}\n", "1: missing string field \"prompt\""),
                     ("{\"prompt\": \"a\"}\n", "1: needs an \"answer\" or \"tests\""),
                     ("{\"prompt\": \"a\", \"tests\": [{\"input\": \"x\", \"output\": 1}]}\n", "1: each test needs")]
        for (text, message) in cases {
            #expect { try FileTask(path: Self.write(text)) } throws: { "\($0)".contains(message) }
        }
    }
}
