import Foundation
import Kernels
import Model
import Synchronization

/// One list of requests decoded by several `DecodeBatch`es side by side, one per thread, each
/// taking the next waiting request whenever a slot of its own frees. While more than one holds
/// sequences, each runs its kernels on its own thread alone (`BatchesSideBySide`): for a small model,
/// a step's matrix products are too small to split over the cores well (hand-offs of
/// microseconds per operation), while whole batches, one per core, scale with the cores.
///
/// A request decodes to the same generation whichever batch takes it and beside whatever others
/// (every row of a step is computed on its own; a request samples from its own seed), so the
/// results are those of one batch of all the slots.
public struct ReplicatedDecoding: Sendable {
    public let model: Transformer
    /// Batches, each on its own thread (the calling thread runs the first).
    public let replicas: Int
    /// Request slots per batch.
    public let slotsEach: Int
    /// Fork slots per batch (for requests with thinking cuts).
    public let forkSlotsEach: Int
    private let clock: @Sendable () -> Date

    /// Most parameters for which each thread gets a batch of its own: each then reads every weight
    /// once per step, which stays cheap while the weights stay in the shared cache. Measured on
    /// a 2-core EPYC (32 MiB L3): the 1M-parameter micro model decodes 1.48× faster as two 8-slot
    /// batches than as one 16-slot batch on two threads (PERFORMANCE, stop 34).
    public static let parameterLimit = 16 << 20
    /// Fewest request slots a batch of its own gets.
    public static let minimumSlots = 4

    /// Batches for `slots` request slots on `model`: one per thread (`Parallel.threadCount`) when
    /// the model has at most `parameterLimit` parameters and each batch gets `minimumSlots` or
    /// more; one otherwise.
    public static func replicas(for model: Transformer, slots: Int) -> Int {
        guard model.config.parameterCount <= parameterLimit else { return 1 }
        return max(1, min(Parallel.threadCount, slots / minimumSlots))
    }

    /// `slots` request slots (and `forkSlots` fork slots) shared out among `replicas(for:slots:)` batches.
    public init(model: Transformer, slots: Int, forkSlots: Int = 0, clock: @escaping @Sendable () -> Date = { Date() }) {
        let replicas = Self.replicas(for: model, slots: max(1, slots))
        self.init(model: model, replicas: replicas, slotsEach: (max(1, slots) + replicas - 1) / replicas,
                  forkSlotsEach: (max(0, forkSlots) + replicas - 1) / replicas, clock: clock)
    }

    /// Exactly `replicas` batches of `slotsEach` request slots and `forkSlotsEach` fork slots.
    public init(model: Transformer, replicas: Int, slotsEach: Int, forkSlotsEach: Int = 0,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.model = model
        self.replicas = max(1, replicas)
        self.slotsEach = max(1, slotsEach)
        self.forkSlotsEach = max(0, forkSlotsEach)
        self.clock = clock
    }

    /// Runs every request to completion and returns the generations in request order, with the
    /// steps each batch took (the calling thread's first). With `onToken(requestIndex, token)`, which hears each
    /// completion token as it is decided, one batch decodes them all on the calling thread.
    public func run(_ requests: [GenerationRequest],
                    onToken: ((Int, GeneratedToken) -> Void)? = nil) throws(ModelError) -> (generations: [Generation], steps: [Int]) {
        let shared = Shared(count: requests.count)
        let replicas = onToken == nil ? min(self.replicas, max(1, requests.count)) : 1
        let done = DispatchGroup()
        for replica in 1..<replicas {
            done.enter()
            let thread = Thread { [self] in
                decode(requests, replica: replica, shared: shared, onToken: nil)
                done.leave()
            }
            thread.name = "strawberry-decode"
            thread.start()
        }
        decode(requests, replica: 0, shared: shared, onToken: onToken)
        done.wait()
        return try shared.finish(replicas: replicas)
    }

    /// One batch's loop: admit the next requests while slots are free, step, until none is left.
    private func decode(_ requests: [GenerationRequest], replica: Int, shared: Shared, onToken: ((Int, GeneratedToken) -> Void)?) {
        let batch = DecodeBatch(model: model, slots: slotsEach, forkSlots: forkSlotsEach, beside: shared.peers, clock: clock)
        do throws(ModelError) {
            while !shared.failed {
                while batch.freeSlots > 0, let index = shared.take(below: requests.count) {
                    try batch.admit(requests[index], id: index, onToken: onToken.map { f in { f(index, $0) } })
                }
                if batch.isEmpty { break }
                shared.store(try batch.step())
            }
            shared.addSteps(batch.steps, replica: replica)
        } catch {
            shared.fail(error)
        }
    }

    /// What the batches share: the next request to take, the results, the first failure.
    private final class Shared: @unchecked Sendable {
        let next = Atomic<Int>(0)
        let peers = BatchesSideBySide()
        private let state: Mutex<(results: [Generation?], steps: [Int: Int], failure: ModelError?)>

        init(count: Int) {
            state = Mutex((Array(repeating: nil, count: count), [:], nil))
        }

        var failed: Bool { state.withLock { $0.failure != nil } }

        func take(below count: Int) -> Int? {
            let index = next.add(1, ordering: .relaxed).oldValue
            return index < count ? index : nil
        }

        func store(_ finished: [(id: Int, generation: Generation)]) {
            guard !finished.isEmpty else { return }
            state.withLock { for (id, generation) in finished { $0.results[id] = generation } }
        }

        func addSteps(_ steps: Int, replica: Int) { state.withLock { $0.steps[replica] = steps } }

        func fail(_ error: ModelError) { state.withLock { $0.failure = $0.failure ?? error } }

        func finish(replicas: Int) throws(ModelError) -> (generations: [Generation], steps: [Int]) {
            let (results, steps, failure) = state.withLock { $0 }
            if let failure { throw failure }
            return (results.map { $0! }, (0..<replicas).map { steps[$0] ?? 0 })
        }
    }
}
