import ArgumentParser
import Cluster
import Foundation
import Kernels
import Model

/// `strawberry bench`: throughput measurements (not tests).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure kernel and training throughput on this machine.",
        subcommands: [GemmBench.self, TrainBench.self, GenerateBench.self, EngineBench.self]
    )
}

/// Times a closure: runs it once to warm up, then repeats it until `seconds` have passed.
func measure(seconds: Double, _ body: () throws -> Void) rethrows -> (perCall: Double, calls: Int) {
    try body()
    let start = Date()
    var calls = 0
    repeat {
        try body()
        calls += 1
    } while Date().timeIntervalSince(start) < seconds
    return (Date().timeIntervalSince(start) / Double(calls), calls)
}

/// GFLOP/s of `C = op(A)·op(B)` for one shape, on random data.
func gemmThroughput(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, seconds: Double,
                    precision: MatmulPrecision = .float32) -> Double {
    let a = FloatBuffer(count: m * k), b = FloatBuffer(count: k * n), c = FloatBuffer(count: m * n)
    var rng = SeededRNG(seed: 1)
    for i in 0..<a.count { a[i] = rng.nextNormal() }
    for i in 0..<b.count { b[i] = rng.nextNormal() }
    let (perCall, _) = measure(seconds: seconds) {
        Gemm.multiply(m: m, n: n, k: k, a: a.pointer, lda: transposeA ? m : k, transposeA: transposeA,
                      b: b.pointer, ldb: transposeB ? k : n, transposeB: transposeB, c: c.pointer, ldc: n, precision: precision)
    }
    return 2 * Double(m) * Double(n) * Double(k) / perCall / 1e9
}

/// How `bench gemm` runs the inference product: B packed once (`PackedMatrix`, as decoding a model
/// of up to `PackedWeights.limit` parameters runs it), read in place (`DotGemm`, as larger models
/// run it), held in bfloat16 (as a model loaded with `--precision bfloat16` runs it), or in
/// bfloat16 with the activations rounded too (`--precision bfloat16-dot`: the CPU's bfloat16 dot
/// products where it has AVX512-BF16).
enum InferenceProduct: CaseIterable {
    case packed, inPlace, bfloat16, bfloat16Dot

    var holdsBFloat16: Bool { self == .bfloat16 || self == .bfloat16Dot }
}

/// GFLOP/s of the inference product `C = A·Bᵀ` (rows of both along k) for one shape, B held as
/// `product` says. Each call takes the next of copies of `B` that fill 8 MiB, so that `B` comes
/// from beyond L2, as in a decode step, where every layer's weights follow the last one's.
func inferenceThroughput(m: Int, n: Int, k: Int, product: InferenceProduct, seconds: Double) -> Double {
    let bytes = product.holdsBFloat16 ? 2 : MemoryLayout<Float>.size
    let copies = max(1, (8 << 20) / (n * k * bytes))
    let a = FloatBuffer(count: m * k), c = FloatBuffer(count: m * n)
    let bs = (0..<copies).map { _ in FloatBuffer(count: k * n) }
    var rng = SeededRNG(seed: 1)
    for i in 0..<a.count { a[i] = rng.nextNormal() }
    for b in bs { for i in 0..<b.count { b[i] = rng.nextNormal() } }
    let panels = product == .packed ? bs.map { PackedMatrix($0.pointer, n: n, k: k, ld: k) } : []
    let halves = product.holdsBFloat16 ? bs.map { BFloat16Matrix($0.pointer, n: n, k: k, ld: k) } : []
    var next = 0
    let (perCall, _) = measure(seconds: seconds) {
        switch product {
        case .packed: Gemm.multiply(m: m, a: a.pointer, lda: k, packed: panels[next], c: c.pointer, ldc: n)
        case .inPlace: DotGemm.multiply(m: m, n: n, k: k, a: a.pointer, lda: k, b: bs[next].pointer, ldb: k, c: c.pointer, ldc: n)
        case .bfloat16, .bfloat16Dot:
            DotGemm.multiply(m: m, a: a.pointer, lda: k, bfloat16: halves[next], roundingActivations: product == .bfloat16Dot, c: c.pointer,
                             ldc: n)
        }
        next = (next + 1) % copies
    }
    return 2 * Double(m) * Double(n) * Double(k) / perCall / 1e9
}

/// The best square-GEMM rate over the three training shapes at 1024: the peak MFU is measured against.
func gemmPeak(seconds: Double) -> Double {
    [(false, true), (false, false), (true, false)].map {
        gemmThroughput(m: 1024, n: 1024, k: 1024, transposeA: $0.0, transposeB: $0.1, seconds: seconds)
    }.max()!
}

struct GemmBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "GFLOP/s of the matrix multiply for the model's own shapes and for 256/512/1024 squares.")

    @Option(help: "Preset whose layer shapes are measured.")
    var preset = "small"

    @Option(help: "Sequences per batch (rows = batch × context).")
    var batchSize = 8

    @Option(help: "Seconds per measurement.")
    var seconds = 1.0

    @Option(help: MatmulPrecision.help)
    var matmul = MatmulPrecision.float32

    func run() throws {
        let c = try ModelConfig.preset(preset)
        print(CPU.summary + ", training GEMM in \(matmul.rawValue)" + (matmul == .bfloat16 && !CPU.hasAVX512BF16 ? " (no AVX512-BF16: rounded, then float32)" : ""))
        print("shape                               A·B     A·Bᵀ    Aᵀ·B   (GFLOP/s)")
        for n in [256, 512, 1024] { printRates("square \(n)", m: n, n: n, k: n) }
        let rows = batchSize * c.contextLength
        let shapes: [(String, Int, Int, Int)] = [
            ("qkv      \(rows)×\(c.qkvDim)×\(c.dim)", rows, c.qkvDim, c.dim),
            ("out      \(rows)×\(c.dim)×\(c.dim)", rows, c.dim, c.heads * c.headDim),
            ("gate/up  \(rows)×\(2 * c.ffnDim)×\(c.dim)", rows, 2 * c.ffnDim, c.dim),
            ("down     \(rows)×\(c.dim)×\(c.ffnDim)", rows, c.dim, c.ffnDim),
            ("lm head  \(rows)×\(c.vocabSize)×\(c.dim)", rows, c.vocabSize, c.dim),
            ("attn     \(c.contextLength)×\(c.contextLength)×\(c.headDim)", c.contextLength, c.contextLength, c.headDim),
        ]
        print("\(preset) layer shapes (m×n×k):")
        for (name, m, n, k) in shapes { printRates(name, m: m, n: n, k: k) }
        let decodeRows = [1, 8, 16, 64]
        print("inference product A·Bᵀ at decode shapes, GFLOP/s for \(decodeRows.map(String.init).joined(separator: ", ")) rows, "
              + "B packed | B in place (DotGemm) | B in bfloat16 | B and A in bfloat16 (\(CPU.hasAVX512BF16 ? "vdpbf16ps" : "no AVX512-BF16: widened")):")
        for (name, _, n, k) in shapes.dropLast() {
            let label = name.split(separator: " ").first.map(String.init) ?? name
            let rates = InferenceProduct.allCases.map { product in
                decodeRows.map { String(format: " %7.1f", inferenceThroughput(m: $0, n: n, k: k, product: product, seconds: seconds / 2)) }.joined()
            }
            print("\(label) ×\(n)×\(k)".padding(toLength: 32, withPad: " ", startingAt: 0) + rates.joined(separator: " |"))
        }
    }

    /// One table row: GFLOP/s of A·B, A·Bᵀ and Aᵀ·B at one shape.
    func printRates(_ name: String, m: Int, n: Int, k: Int) {
        let rates = [(false, false), (false, true), (true, false)].map {
            gemmThroughput(m: m, n: n, k: k, transposeA: $0.0, transposeB: $0.1, seconds: seconds, precision: matmul)
        }
        print(name.padding(toLength: 32, withPad: " ", startingAt: 0)
              + String(format: " %7.1f %7.1f %7.1f", rates[0], rates[1], rates[2]))
    }
}

struct TrainBench: ParsableCommand, RunsAcrossRanks {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training tokens/s, achieved GFLOP/s and model-FLOPs utilisation against the GEMM peak measured in the same run.",
        discussion: "Under MPI (`mpirun -np 2 strawberry bench train`) each rank takes its share of the batch and the gradients are summed over the ranks, as `sft` does; tokens/s is the whole batch's.")

    @Option(help: "Model size: tiny, micro, small or base.")
    var preset = "small"

    @Option(help: "Sequences per step.")
    var batchSize = 8

    @Option(help: "Sequence length (default: the preset's context; a longer one lengthens the context).")
    var length: Int?

    @Option(help: "Timed steps (after one warmup step).")
    var steps = 10

    @Flag(help: "Also print where the time of a step goes (GEMM, packing, attention, norms, …).")
    var phases = false

    @Option(help: MatmulPrecision.help)
    var matmul = MatmulPrecision.float32

    func validate() throws {
        guard batchSize > 0, steps > 0, (length ?? 1) > 0 else { throw ValidationError("sizes must be positive") }
    }

    func run() throws {
        let presetContext = try ModelConfig.preset(preset).contextLength
        let T = length ?? presetContext
        let config = try ModelConfig.preset(preset, contextLength: max(T, presetContext))
        let model = try Transformer(config: config, seed: 1)
        model.matmulPrecision = matmul
        let optimizer = AdamW(layout: model.layout)
        var rng = SeededRNG(seed: 2)
        let tokens = (0..<(batchSize * T)).map { _ in Int32(rng.next() % 256) }
        let communicator = try Cluster.join()
        let rows = communicator.share(of: batchSize)
        guard !rows.isEmpty else { throw ValidationError("--batch-size \(batchSize) is smaller than the \(communicator.size) ranks") }
        let mine = Array(tokens[(rows.lowerBound * T)..<(rows.upperBound * T)])
        let batch = TokenBatch(batchSize: rows.count, length: T, inputs: mine, targets: mine.map { ($0 + 1) % 256 },
                               weights: Array(repeating: 1 / Float(batchSize * T), count: rows.count * T))
        let step = {
            Profile.measure(.optimizer) { model.gradients.zero() }
            try model.forwardBackward(batch)
            if communicator.size > 1 { try Profile.measure(.communication) { try communicator.sum(model.gradients.buffer) } }
            Profile.measure(.optimizer) {
                GradientClipping.clip(model.gradients, maxNorm: 1)
                optimizer.update(parameters: model.parameters, gradients: model.gradients, lr: 1e-3)
            }
        }
        try step()
        if phases { Profile.start() }
        let start = Date()
        for _ in 0..<steps { try step() }
        let perStep = Date().timeIntervalSince(start) / Double(steps)
        Profile.stop()
        let tokensPerSecond = Double(batchSize * T) / perStep
        let flopsPerToken = 3 * config.forwardFlopsPerToken(attendingTo: (T + 1) / 2)
        let achieved = flopsPerToken * tokensPerSecond / 1e9
        let peakBytes = PeakMemory.bytes
        guard communicator.isPrimary else { return }
        let ranks = communicator.size > 1 ? "; \(communicator.size) ranks" : ""
        print("preset \(preset): \(config.parameterCount.formatted()) parameters, batch \(batchSize) × \(T) tokens, linear layers in \(matmul.rawValue); \(CPU.summary)\(ranks)")
        print(String(format: "step time      %.1f ms", perStep * 1000))
        print(String(format: "tokens/s       %.0f", tokensPerSecond))
        print(String(format: "achieved       %.1f GFLOP/s (model FLOPs: 6·N per token plus causal attention)", achieved))
        if communicator.size == 1 {
            let peak = gemmPeak(seconds: 0.5)
            print(String(format: "GEMM peak      %.1f GFLOP/s (best 1024² multiply, this run)", peak))
            print(String(format: "MFU            %.1f%%", 100 * achieved / peak))
        }
        print(String(format: "peak memory    %.0f MiB (max resident set)", peakBytes / 1_048_576))
        if phases { printPhases(perStep: perStep, steps: steps, unit: "step") }
    }
}

/// The per-phase table after a profiled run: milliseconds per step and share of the step.
func printPhases(perStep: Double, steps: Int, unit: String) {
    print("phase              ms/\(unit)   share   calls/\(unit)")
    for (phase, seconds, calls) in Profile.totals where calls > 0 {
        let ms = seconds / Double(steps) * 1000
        print(phase.name.padding(toLength: 18, withPad: " ", startingAt: 0)
              + String(format: " %8.3f  %5.1f%%  %8.1f", ms, 100 * ms / (perStep * 1000), Double(calls) / Double(steps)))
    }
    // Packing and hand-offs are timed inside the other phases; the rest of the step is in none.
    let phased = Profile.totals.filter { $0.phase != .packing && $0.phase != .handoff }.map(\.seconds).reduce(0, +)
    let rest = (perStep - phased / Double(steps)) * 1000
    print("in no phase".padding(toLength: 18, withPad: " ", startingAt: 0)
          + String(format: " %8.3f  %5.1f%%", rest, 100 * rest / (perStep * 1000)))
}

struct GenerateBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Decode tokens/s with the KV cache at several batch sizes, and prefill against training-forward throughput.")

    @Option(help: "Model size: tiny, micro, small or base.")
    var preset = "small"

    @Option(help: "Measure this checkpoint instead (a run folder, or a model made by `strawberry import`); the prefill comparison is left out.")
    var model: String?

    @Option(help: "Comma-separated batch sizes.")
    var batch = SizeList([1, 16, 64])

    @Option(help: "Prompt tokens per sequence before decoding.")
    var prompt = 32

    @Option(help: "Decoded tokens per sequence.")
    var tokens = 128

    @Flag(help: "Also print where the time of a decode step goes, per batch size.")
    var phases = false

    @OptionGroup var precision: PrecisionOption

    func validate() throws {
        if model == nil && precision.precision != .auto {
            throw ValidationError("--precision applies to a checkpoint given with --model; a preset's fresh model decodes in float32 "
                                  + "(make a checkpoint with `strawberry sft --data FILE --steps 1 --out DIR` to measure one in another precision)")
        }
    }

    func run() throws {
        let model = try self.model.map { try precision.load($0) } ?? Transformer(config: try ModelConfig.preset(preset), seed: 1)
        let config = model.config
        guard prompt > 0, tokens > 0, prompt + tokens <= config.contextLength else {
            throw ValidationError("--prompt + --tokens must fit the \(config.contextLength)-token context")
        }
        print("\(self.model ?? "preset " + preset): \(config.parameterCount.formatted()) parameters (matrices in \(model.precision)), prompt \(prompt), \(tokens) decoded tokens per sequence; \(CPU.summary)")
        print("batch   decode tokens/s   ms per step   weights read (GB/s)")
        let weightBytes = Double(config.matrixWeightsPerToken * model.precision.bytes)
        var firstGreedy: (prompt: [Int32], tokens: [Int32])?
        for b in batch.values {
            let cache = KVCache(config: config, slots: b)
            var rng = SeededRNG(seed: 3)
            let prompts = (0..<b).map { _ in (0..<prompt).map { _ in Int32(rng.next() % UInt64(min(256, config.vocabSize))) } }
            var logits = try model.forwardCached(prompts.enumerated().map { CacheSegment(slot: $0.offset, tokens: $0.element) }, cache: cache)
            if phases { Profile.start() }
            let start = Date()
            var greedy: [Int32] = []
            for _ in 0..<tokens {
                let next = Profile.measure(.sampling) {
                    (0..<b).map { s -> Int32 in
                        let row = logits[(s * config.vocabSize)..<((s + 1) * config.vocabSize)]
                        return Int32(row.indices.max { row[$0] < row[$1] }! - row.startIndex)
                    }
                }
                greedy.append(next[0])
                logits = try model.forwardCached(next.enumerated().map { CacheSegment(slot: $0.offset, tokens: [$0.element]) }, cache: cache)
            }
            let seconds = Date().timeIntervalSince(start)
            Profile.stop()
            print(String(format: "%5d   %15.1f   %11.2f   %19.1f", b, Double(b * tokens) / seconds, seconds / Double(tokens) * 1000,
                         weightBytes * Double(tokens) / seconds / 1e9))
            if phases { printPhases(perStep: seconds / Double(tokens), steps: tokens, unit: "step") }
            if firstGreedy == nil { firstGreedy = (prompts[0], greedy) }
        }
        // The first sequence's greedy continuation, for a parity check against another engine.
        if let (prompt, tokens) = firstGreedy {
            print("greedy: prompt \(prompt.map(String.init).joined(separator: " ")) -> \(tokens.map(String.init).joined(separator: " "))")
        }
        // What the process holds at its peak, against the weights as stored (float32).
        print(String(format: "peak resident memory %.2f GB for %.2f GB of weights (%.2f×)", PeakMemory.bytes / 1e9,
                     Double(config.parameterCount * 4) / 1e9, PeakMemory.bytes / Double(config.parameterCount * 4)))
        // Reading the weights once per step bounds decoding a model larger than the caches (measured
        // after the peak above, which its buffer would raise).
        let bandwidth = MemoryBandwidth.read()
        print(String(format: "memory read bandwidth %.1f GB/s (this machine, %d threads, best of 5 passes over 512 MiB); each step reads %.0f MB of weights",
                     bandwidth.gigabytesPerSecond, Parallel.threadCount, weightBytes / 1e6))
        guard self.model == nil else { return }
        // Prefill (cached forward over whole prompts) against the training forward pass, same tokens.
        let b = 8, t = config.contextLength
        var rng = SeededRNG(seed: 4)
        let seqs = (0..<b).map { _ in (0..<t).map { _ in Int32(rng.next() % 256) } }
        let batchTokens = seqs.flatMap { $0 }
        let trainBatch = TokenBatch(batchSize: b, length: t, inputs: batchTokens, targets: batchTokens,
                                    weights: Array(repeating: 0, count: b * t))
        let forward = try measure(seconds: 2) { try model.forwardBackward(trainBatch, computeGradients: false) }
        let prefill = try measure(seconds: 2) {
            let cache = KVCache(config: config, slots: b)
            _ = try model.forwardCached(seqs.enumerated().map { CacheSegment(slot: $0.offset, tokens: $0.element) }, cache: cache)
        }
        let forwardRate = Double(b * t) / forward.perCall, prefillRate = Double(b * t) / prefill.perCall
        print(String(format: "prefill %d×%d: %.0f tokens/s; training forward: %.0f tokens/s; prefill/forward %.2f",
                     b, t, prefillRate, forwardRate, prefillRate / forwardRate))
    }
}

/// The most memory this process has held resident, in bytes: `VmHWM` where /proc has it, else
/// `getrusage`'s maximum resident set — which on Linux keeps the parent's figure across
/// fork and exec, so a bench started from a 3 GB Python process reported 3 GB of its own.
enum PeakMemory {
    static var bytes: Double {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kilobytes = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap({ Double($0) }) {
            return kilobytes * 1024
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) * 1024  // kilobytes on Linux
    }
}
