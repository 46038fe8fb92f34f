import Foundation
import Model
import Reasoning

/// Feeds requests that arrive from many connections into `DecodeBatch`es, each stepped on a
/// dedicated thread: requests that arrive together decode together (continuous batching), at
/// most `maxWaiting` wait for a slot, and a cancelled request frees its slot at the next step.
/// A small model gets one batch per core (`ReplicatedDecoding.replicas`), fed from one queue: a
/// waiting request goes to whichever batch frees a slot first.
public final class InferenceScheduler: @unchecked Sendable {
    /// What a submitted request hears back, in order: tokens, then exactly one of the others.
    public enum Event: Sendable {
        case token(GeneratedToken)
        case finished(Generation)
        case cancelled
        case failed(String)
    }
    /// Receives a submitted sample's events, from the thread of the batch that decodes it.
    public typealias Sink = @Sendable (Event) -> Void

    private struct Job {
        let id: Int
        var request: GenerationRequest
        let submitted: Date
        let sink: Sink
        /// The submitted request (all its samples) this job belongs to.
        let group: Int
    }

    /// One batch and what its thread keeps.
    private final class Replica {
        let batch: DecodeBatch
        // Guarded by the scheduler's `condition`:
        var toCancel: Set<Int> = []
        /// Slots taken: sequences decoding, and jobs that have left the queue for this batch.
        var occupied = 0
        var running = false
        // Owned by the batch's thread:
        var sinks: [Int: Sink] = [:]

        init(batch: DecodeBatch) { self.batch = batch }
    }

    /// Most requests that may wait for a slot (a request is all the samples submitted together).
    public let maxWaiting: Int
    private let model: Transformer
    private let replicas: [Replica]
    /// The batches, side by side: while more than one holds sequences, each runs its kernels alone.
    private let peers: BatchesSideBySide
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var waiting: [Job] = []
    /// Requests that did not fit the free slots when submitted, by group, with their samples not
    /// yet in a slot; a request counts as waiting until its last sample is admitted.
    private var queuedGroups: [Int: Int] = [:]
    /// The batch each job that left the queue went to, until it finishes or is cancelled.
    private var placement: [Int: Int] = [:]
    private var nextID = 0
    private var nextGroup = 0
    private var stopping = false
    /// Called on a decoding thread when jobs have left the queue, before its batch admits them.
    var onAdmitting: (() -> Void)?

    /// `slots` sequences decode at once, shared out among `replicas` batches (by default as
    /// `ReplicatedDecoding.replicas` says for this model).
    public init(model: Transformer, slots: Int, maxWaiting: Int, replicas: Int? = nil) {
        let slots = max(1, slots)
        let count = min(slots, max(1, replicas ?? ReplicatedDecoding.replicas(for: model, slots: slots)))
        let peers = BatchesSideBySide()
        self.peers = peers
        self.replicas = (0..<count).map { r in
            Replica(batch: DecodeBatch(model: model, slots: slots / count + (r < slots % count ? 1 : 0), beside: peers))
        }
        self.model = model
        self.maxWaiting = max(0, maxWaiting)
    }

    public var slots: Int { replicas.reduce(0) { $0 + $1.batch.slots } }
    /// Batches decoding side by side, each on its own thread.
    public var batches: Int { replicas.count }
    /// The model's tokens and chat format.
    public var vocabulary: Vocabulary { model.vocabulary }
    /// The thinking budgets the model reads in its prompt (`BudgetTag`); empty for none.
    public var budgetLevels: [Int] { model.config.budgetLevels }

    /// Longest prompt the model's context takes.
    public var maxPromptTokens: Int { replicas[0].batch.maxPromptTokens }
    /// The model's context: prompt and completion tokens together.
    public var contextLength: Int { model.config.contextLength }

    /// Batches that have sequences in them now.
    var batchesStepping: Int { peers.busy }

    /// Slots taken in every batch. Call with the lock held.
    private var occupiedSlots: Int { replicas.reduce(0) { $0 + $1.occupied } }

    /// Requests waiting for a slot and sequences decoding now.
    public var load: (waiting: Int, decoding: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (queuedGroups.count, occupiedSlots)
    }

    /// Queues the samples of one request together (all or none) and returns their ids, or nil when
    /// they do not fit the free slots and `maxWaiting` requests are already waiting. A request
    /// larger than all the slots is still taken when nothing else is in hand.
    /// A request's `budget.deadline` counts from submission: time spent waiting is taken off it.
    public func submit(_ requests: [GenerationRequest], sink: @escaping @Sendable (Int, Event) -> Void) -> [Int]? {
        condition.lock()
        defer { condition.unlock() }
        let occupied = occupiedSlots
        let free = slots - occupied - waiting.count
        let fits = requests.count <= free
        let idle = waiting.isEmpty && occupied == 0
        guard fits || queuedGroups.count < maxWaiting || idle else { return nil }
        for (r, replica) in replicas.enumerated() where !replica.running {
            replica.running = true
            let thread = Thread { [self] in loop(r) }
            thread.name = "strawberry-decode"
            thread.start()
        }
        let group = nextGroup
        nextGroup += 1
        if !fits { queuedGroups[group] = requests.count }
        var ids: [Int] = []
        for (i, r) in requests.enumerated() {
            let id = nextID
            nextID += 1
            ids.append(id)
            waiting.append(Job(id: id, request: r, submitted: Date(), sink: { sink(i, $0) }, group: group))
        }
        condition.broadcast()
        return ids
    }

    /// Counts a job of `group` out of the queue (admitted or cancelled). Call with the lock held.
    private func leaveQueue(_ group: Int) {
        guard let left = queuedGroups[group] else { return }
        queuedGroups[group] = left > 1 ? left - 1 : nil
    }

    /// Stops requests (a client went away, or a stop sequence was met); each hears `.cancelled`
    /// unless it already finished.
    public func cancel(_ ids: [Int]) {
        condition.lock()
        defer { condition.unlock() }
        var rest = Set(ids)
        waiting.removeAll { job in
            guard rest.remove(job.id) != nil else { return false }
            leaveQueue(job.group)
            job.sink(.cancelled)
            return true
        }
        for id in rest {
            if let r = placement[id] { replicas[r].toCancel.insert(id) }
        }
        condition.broadcast()
    }

    /// Ends the decoding threads once the work in hand is done.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    /// The thread of batch `r`: cancel, admit from the queue, step, until stopped with nothing in hand.
    private func loop(_ r: Int) {
        let replica = replicas[r], batch = replica.batch
        while true {
            condition.lock()
            while waiting.isEmpty && batch.isEmpty && replica.toCancel.isEmpty && !stopping { condition.wait() }
            if stopping && waiting.isEmpty && batch.isEmpty {
                replica.running = false
                condition.unlock()
                return
            }
            let cancelled = replica.toCancel
            replica.toCancel = []
            condition.unlock()
            var gone: [Int] = []
            for id in cancelled where batch.cancel(id: id) {
                replica.sinks.removeValue(forKey: id)?(.cancelled)
                gone.append(id)
            }
            condition.lock()
            let admitted = Array(waiting.prefix(batch.freeSlots))
            waiting.removeFirst(admitted.count)
            for job in admitted {
                leaveQueue(job.group)
                placement[job.id] = r
            }
            for id in gone { placement[id] = nil }
            // Counted as occupied in the same moment they leave the queue, so that no submission
            // sees them neither waiting nor decoding.
            replica.occupied = batch.slots - batch.freeSlots + admitted.count
            condition.unlock()
            if !admitted.isEmpty { onAdmitting?() }
            gone = []
            for var job in admitted {
                if let deadline = job.request.budget.deadline {
                    job.request.budget.deadline = max(0, deadline - Date().timeIntervalSince(job.submitted))
                }
                do {
                    let sink = job.sink
                    try batch.admit(job.request, id: job.id) { sink(.token($0)) }
                    replica.sinks[job.id] = job.sink
                } catch {
                    job.sink(.failed("\(error)"))
                    gone.append(job.id)
                }
            }
            settle(replica, gone: gone)
            gone = []
            do {
                for (id, generation) in try batch.step() {
                    replica.sinks.removeValue(forKey: id)?(.finished(generation))
                    gone.append(id)
                }
            } catch {
                for (id, sink) in replica.sinks {
                    batch.cancel(id: id)
                    sink(.failed("\(error)"))
                    gone.append(id)
                }
                replica.sinks = [:]
            }
            settle(replica, gone: gone)
        }
    }

    /// Records what `replica`'s batch holds now, and forgets the jobs that left it.
    private func settle(_ replica: Replica, gone: [Int]) {
        condition.lock()
        replica.occupied = replica.batch.slots - replica.batch.freeSlots
        for id in gone { placement[id] = nil }
        condition.unlock()
    }
}
