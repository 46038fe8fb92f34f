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
    /// thread and more than one iteration (in the calling thread when the team is busy, or inside
    /// `alone`).
    @inlinable
    public static func forEach(_ iterations: Int, _ body: (Int) -> Void) {
        if iterations <= 0 { return }
        if threadCount == 1 || iterations == 1 || !runOnTeam(iterations, body) {
            for i in 0..<iterations { body(i) }
        }
    }

    /// Runs `body` with every `forEach` inside it (on this thread) run on this thread alone, for
    /// work that runs beside other such work, one thread each (decoding replicas): otherwise one of
    /// them takes the team and its threads compete with the others for the cores.
    public static func alone<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        let outer = pthread_getspecific(aloneKey)
        pthread_setspecific(aloneKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(aloneKey, outer) }
        return try body()
    }

    /// Set (non-nil) on a thread inside `alone`.
    private static let aloneKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    @usableFromInline
    static func runOnTeam(_ iterations: Int, _ body: (Int) -> Void) -> Bool {
        pthread_getspecific(aloneKey) == nil && ThreadTeam.shared.run(iterations, body)
    }
}
