import Foundation
import Testing
import TestSupport

/// Data-parallel runs under a real `mpirun` (Open MPI), against the one-process run of the same
/// binary. Skipped, saying why, unless an MPI build is named by STRAWBERRY_MPI_BINARY.
@Suite(.serialized, .enabled(if: MPIJob.available, Comment(rawValue: MPIJob.skipReason)))
struct MPITests {
    /// Countdown SFT data for the tiny preset, made once.
    static let data: String = {
        let path = Scratch.path("mpi-data", suffix: ".jsonl")
        let made = try? MPIJob.single(["data", "--n", "120", "--max-thinking", "200"])
        try? made?.output.split(separator: "\n").filter { $0.hasPrefix("{") }.joined(separator: "\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }()

    /// An arithmetic (1 digit) model trained for 60 steps by one process: it writes well-formed
    /// answers often enough that RL groups carry signal.
    static let arithmetic: String = {
        let data = Scratch.path("mpi-arithmetic", suffix: ".jsonl"), path = Scratch.path("mpi-arithmetic-model")
        let made = try? MPIJob.single(["data", "--task", "arithmetic", "--difficulty", "1", "--n", "200"])
        try? made?.output.split(separator: "\n").filter { $0.hasPrefix("{") }.joined(separator: "\n")
            .write(toFile: data, atomically: true, encoding: .utf8)
        _ = try? MPIJob.single(["sft", "--data", data, "--preset", "tiny", "--out", path, "--steps", "60", "--batch-size", "8",
                                "--warmup", "5", "--lr", "3e-3", "--checkpoint-every", "60"])
        return path
    }()

    /// A model trained for 40 steps by one process, for the evaluation tests.
    static let trained: String = {
        let path = Scratch.path("mpi-model")
        _ = try? MPIJob.single(sft(path, steps: 40))
        return path
    }()

    static func sft(_ out: String, steps: Int, extra: [String] = []) -> [String] {
        ["sft", "--data", data, "--preset", "tiny", "--out", out, "--steps", "\(steps)", "--batch-size", "8",
         "--checkpoint-every", "5", "--warmup", "5"] + extra
    }

    static func metrics(_ run: String) throws -> [[String: Any]] {
        try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    static func number(_ row: [String: Any], _ key: String) -> Double { (row[key] as? NSNumber)?.doubleValue ?? .nan }

    /// The same global batch shared by two ranks gives the one-process losses: the gradients
    /// are summed in another order, so they agree to rounding (seen: 2e-7 relative after 20 steps).
    @Test func twoRanksTrainAsOneProcessDoes() throws {
        let one = Scratch.path("mpi-one"), two = Scratch.path("mpi-two")
        let single = try MPIJob.single(Self.sft(one, steps: 12))
        #expect(single.status == 0, "\(single.output)")
        let job = try MPIJob.run(["-np", "2", "strawberry"] + Self.sft(two, steps: 12))
        #expect(job.status == 0, "\(job.output)")
        #expect(job.output.contains("2 ranks"))
        let a = try Self.metrics(one), b = try Self.metrics(two)
        #expect(a.count == 12 && b.count == 12, "rank 0 alone writes metrics")
        for (x, y) in zip(a, b) {
            let (la, lb) = (Self.number(x, "loss"), Self.number(y, "loss"))
            #expect(abs(la - lb) <= 1e-4 * abs(la), "step \(Self.number(x, "step")): loss \(la) vs \(lb)")
            let (ga, gb) = (Self.number(x, "grad_norm"), Self.number(y, "grad_norm"))
            #expect(abs(ga - gb) <= 1e-3 * abs(ga))
        }
        // One progress line per report, from rank 0 only.
        #expect(job.output.components(separatedBy: "step 10/12").count == 2)
    }

    /// Two ranks each evaluate half of the problems; the report equals the one-process report.
    @Test func twoRankEvaluationEqualsOneProcess() throws {
        let model = Self.trained
        let args = ["eval", "--model", model, "--n", "24", "--budgets", "0,16", "--strategies", "single,vote:3"]
        let one = Scratch.path("mpi-eval-one"), two = Scratch.path("mpi-eval-two")
        let single = try MPIJob.single(args + ["--out", one])
        #expect(single.status == 0, "\(single.output)")
        let job = try MPIJob.run(["-np", "2", "strawberry"] + args + ["--out", two])
        #expect(job.status == 0, "\(job.output)")
        func report(_ folder: String) throws -> NSDictionary {
            var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/eval.json"))) as! [String: Any]
            object["wallSeconds"] = nil
            return object as NSDictionary
        }
        #expect(try report(one) == report(two))
    }

    /// RL with each rank sampling half of the step's problems matches the one-process step.
    @Test func twoRankRLStepMatchesOneProcess() throws {
        let args = ["rl", "--model", Self.arithmetic, "--task", "arithmetic", "--difficulty", "1", "--steps", "2",
                    "--problems", "8", "--group", "4", "--budget", "64", "--lr", "1e-3"]
        let one = Scratch.path("mpi-rl-one"), two = Scratch.path("mpi-rl-two")
        let single = try MPIJob.single(args + ["--out", one])
        #expect(single.status == 0, "\(single.output)")
        let job = try MPIJob.run(["-np", "2", "strawberry"] + args + ["--out", two])
        #expect(job.status == 0, "\(job.output)")
        let a = try Self.metrics(one), b = try Self.metrics(two)
        #expect(a.count == 2 && b.count == 2)
        for (x, y) in zip(a, b) {
            for key in ["accuracy", "thinking_tokens", "groups_used"] {
                #expect(Self.number(x, key) == Self.number(y, key), "\(key)")
            }
            // The rewards are fractions summed per rank and then across ranks: another order
            // than one process's, so equal only to the last bits.
            let (ra, rb) = (Self.number(x, "reward"), Self.number(y, "reward"))
            #expect(abs(ra - rb) <= 1e-12 * max(abs(ra), 1), "reward \(ra) vs \(rb)")
            let (ga, gb) = (Self.number(x, "grad_norm"), Self.number(y, "grad_norm"))
            #expect(abs(ga - gb) <= 1e-3 * max(abs(ga), 1e-6), "grad_norm \(ga) vs \(gb)")
        }
        #expect(a.contains { Self.number($0, "groups_used") > 0 }, "no group carried signal, so no update was compared")
    }

    /// The whole pipeline with expert iteration under two ranks: every stage runs and rank 0
    /// writes each report once. The SFT model equals the one-process one only to rounding, so
    /// sampled evaluations may differ by a token; the SFT losses are compared, and the reports'
    /// shape.
    @Test func twoRankTrainingPipelineRunsEveryStage() throws {
        let args = ["train", "--task", "countdown", "--difficulty", "3", "--preset", "tiny", "--examples", "200",
                    "--sft-steps", "30", "--sft-lr", "3e-3", "--rl-method", "expert-iteration", "--ei-rounds", "1",
                    "--ei-problems", "16", "--ei-samples", "4", "--ei-steps", "5", "--budget", "32", "--control-steps", "3",
                    "--eval-problems", "8", "--budgets", "0,32"]
        let one = Scratch.path("mpi-train-one"), two = Scratch.path("mpi-train-two")
        let single = try MPIJob.single(args + ["--out", one])
        #expect(single.status == 0, "\(single.output)")
        let job = try MPIJob.run(["-np", "2", "strawberry"] + args + ["--out", two])
        #expect(job.status == 0, "\(job.output)")
        #expect(job.output.components(separatedBy: "1/4 data").count == 2, "rank 0 alone prints")
        let a = try Self.metrics(one + "/sft"), b = try Self.metrics(two + "/sft")
        #expect(a.count == 30 && b.count == 30)
        for (x, y) in zip(a, b) { #expect(abs(Self.number(x, "loss") - Self.number(y, "loss")) <= 1e-4 * Self.number(x, "loss")) }
        func cells(_ path: String) throws -> [String] {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
            return (object["cells"] as! [[String: Any]]).map { "\($0["strategy"]!) \($0["budget"]!) \($0["problems"]!)" }
        }
        for file in ["/eval-sft.json", "/eval-rl.json", "/eval-control.json"] { #expect(try cells(one + file) == cells(two + file), "\(file)") }
        #expect(try Self.metrics(two + "/control").count == 3, "the control's 3 SFT steps, written once")
        #expect(FileManager.default.fileExists(atPath: two + "/rl/latest") && FileManager.default.fileExists(atPath: two + "/report.html"))
    }

    /// kill -9 of rank 1 ends the job with a message naming it (no hang); --resume then continues
    /// from the last checkpoint and ends with the uninterrupted run's numbers and weights.
    @Test func aKilledRankEndsTheJobAndResumeMatchesAnUninterruptedRun() throws {
        let reference = Scratch.path("mpi-reference"), killed = Scratch.path("mpi-killed")
        let steps = 80
        let whole = try MPIJob.run(["-np", "2", "strawberry"] + Self.sft(reference, steps: steps))
        #expect(whole.status == 0, "\(whole.output)")

        let pipe = Pipe()
        let job = try MPIJob.start(["-np", "2", "strawberry"] + Self.sft(killed, steps: steps), output: pipe)
        // Wait (on the run folder, not on a clock) until a checkpoint exists and training goes on.
        let waitLimit = Date().addingTimeInterval(600)
        while job.isRunning, Date() < waitLimit, ((try? Self.metrics(killed).count) ?? 0) < 7 { usleep(10_000) }
        let victim = MPIJob.rankProcess(1, of: job)
        try #require(victim != nil, "rank 1 not found among mpirun's children")
        kill(victim!, SIGKILL)
        let killedAt = Date()
        while job.isRunning, Date().timeIntervalSince(killedAt) < 60 { usleep(10_000) }
        let ended = !job.isRunning
        if !ended { job.terminate() }
        job.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(ended, "the job still ran 60 s after rank 1 was killed")
        #expect(job.terminationStatus != 0)
        #expect(output.contains("rank 1"), "\(output)")

        let resumed = try MPIJob.run(["-np", "2", "strawberry"] + Self.sft(killed, steps: steps, extra: ["--resume"]))
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.output.contains("resuming"))
        let a = try Self.metrics(reference), b = try Self.metrics(killed)
        #expect(a.map { Self.number($0, "loss") } == b.map { Self.number($0, "loss") })
        let last = String(format: "/checkpoints/step-%08d/model.safetensors", steps)
        #expect(FileManager.default.contents(atPath: reference + last) == FileManager.default.contents(atPath: killed + last))
    }

    /// Ranks started with different options refuse to train, naming the option.
    @Test func ranksWithDifferentOptionsRefuseToStart() throws {
        let out = Scratch.path("mpi-mismatch")
        let job = try MPIJob.run(["-np", "1", "strawberry"] + Self.sft(out, steps: 3, extra: ["--lr", "0.001"])
                                 + [":", "-np", "1", "strawberry"] + Self.sft(out, steps: 3, extra: ["--lr", "0.002"]))
        #expect(job.status != 0)
        #expect(job.output.contains("--lr: rank 0 has 0.001, rank 1 has 0.002"), "\(job.output)")
        #expect(!FileManager.default.fileExists(atPath: out + "/latest"))
    }
}
