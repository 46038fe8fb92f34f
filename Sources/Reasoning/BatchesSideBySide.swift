import Synchronization

/// `DecodeBatch`es stepped side by side, each on its own thread: while more than one of them holds
/// sequences, each steps with its kernels on its own thread alone (`Parallel.alone`), so that they
/// share the cores instead of one of them taking the thread team. A batch counts from the step it
/// first holds sequences in until the step that leaves it empty.
public final class BatchesSideBySide: Sendable {
    private let holding = Atomic<Int>(0)

    public init() {}

    /// Batches that hold sequences now.
    public var busy: Int { holding.load(ordering: .relaxed) }

    func count(_ holds: Bool) {
        _ = holds ? holding.add(1, ordering: .relaxed) : holding.subtract(1, ordering: .relaxed)
    }
}
