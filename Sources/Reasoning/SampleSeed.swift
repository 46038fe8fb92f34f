/// The seed of sample `k` of problem `i` for each caller of `Engine.generate(items:samples:)`.
/// Each formula is the one its caller used when its published numbers were measured, kept under
/// a name so that they stay reproducible.
public enum SampleSeed {
    /// Test-time strategies (vote, best-of-n): `seed + i·7919 + k·104729 + round`.
    public static func strategy(_ seed: UInt64, problem i: Int, sample k: Int, round: Int) -> UInt64 {
        seed &+ UInt64(i) &* 7919 &+ UInt64(k) &* 104_729 &+ UInt64(round)
    }

    /// GRPO rollouts of RL step `step`, groups of `group`: `seed·1000003 + step·7919 + i·group + k`.
    public static func rollout(_ seed: UInt64, step: Int, problem i: Int, sample k: Int, group: Int) -> UInt64 {
        seed &* 1_000_003 &+ UInt64(step) &* 7919 &+ UInt64(i * group + k)
    }

    /// The RL probe's samples: `i·1000 + k`, the same every step so that probes compare.
    public static func probe(problem i: Int, sample k: Int) -> UInt64 {
        UInt64(i * 1000 + k)
    }

    /// Distillation and expert-iteration harvests, `samples` per problem: `seed + i·samples + k`.
    public static func harvest(_ seed: UInt64, problem i: Int, sample k: Int, samples: Int) -> UInt64 {
        seed &+ UInt64(i * samples + k)
    }
}
