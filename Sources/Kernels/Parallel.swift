import Foundation

/// How many threads the kernels use, and a loop that spreads independent iterations over them.
///
/// The count comes from `STRAWBERRY_THREADS` when set, otherwise from the number of active cores,
/// shared out among the ranks of an MPI job that run on this machine (`mpirun` and `srun` say
/// how many), so that two ranks on two cores each take one instead of fighting over both.
/// Every parallel kernel assigns each output element to exactly one iteration, so results do not
/// depend on the thread count or on scheduling.
public enum Parallel {
    public static let threadCount: Int = {
        if let text = ProcessInfo.processInfo.environment["STRAWBERRY_THREADS"],
           let n = Int(text), n > 0 {
            return n
        }
        let environment = ProcessInfo.processInfo.environment
        let localRanks = ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"]
            .lazy.compactMap { environment[$0].flatMap { Int($0) } }.first { $0 > 0 } ?? 1
        return max(1, ProcessInfo.processInfo.activeProcessorCount / localRanks)
    }()

    /// Runs `body(i)` for `i` in `0..<iterations`, on the `ThreadTeam` when there is more than one
    /// thread and more than one iteration (in the calling thread when the team is busy).
    @inlinable
    public static func forEach(_ iterations: Int, _ body: (Int) -> Void) {
        if iterations <= 0 { return }
        if threadCount == 1 || iterations == 1 || !runOnTeam(iterations, body) {
            for i in 0..<iterations { body(i) }
        }
    }

    @usableFromInline
    static func runOnTeam(_ iterations: Int, _ body: (Int) -> Void) -> Bool {
        ThreadTeam.shared.run(iterations, body)
    }
}
