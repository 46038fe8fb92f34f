import Foundation
import Model
import Reasoning

/// Feeds requests that arrive from many connections into one `DecodeBatch`, stepped on a
/// dedicated thread: requests that arrive together decode together (continuous batching), at
/// most `maxWaiting` wait for a slot, and a cancelled request frees its slot at the next step.
public final class InferenceScheduler: @unchecked Sendable {
    /// What a submitted request hears back, in order: tokens, then exactly one of the others.
    public enum Event: Sendable {
        case token(GeneratedToken)
        case finished(Generation)
        case cancelled
        case failed(String)
    }
    /// Receives a submitted sample's events, from the scheduler's thread.
    public typealias Sink = @Sendable (Event) -> Void

    private struct Job {
        let id: Int
        var request: GenerationRequest
        let submitted: Date
        let sink: Sink
        /// The submitted request (all its samples) this job belongs to.
        let group: Int
    }

    /// Most requests that may wait for a slot (a request is all the samples submitted together).
    public let maxWaiting: Int
    private let batch: DecodeBatch
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var waiting: [Job] = []
    /// Requests that did not fit the free slots when submitted, by group, with their samples not
    /// yet in a slot; a request counts as waiting until its last sample is admitted.
    private var queuedGroups: [Int: Int] = [:]
    private var toCancel: Set<Int> = []
    private var nextID = 0
    private var nextGroup = 0
    /// Slots taken: sequences decoding, and jobs that have left the queue for the batch.
    private var occupiedSlots = 0
    private var stopping = false
    private var running = false
    // Owned by the decoding thread:
    private var sinks: [Int: Sink] = [:]
    /// Called on the decoding thread when jobs have left the queue, before the batch admits them.
    var onAdmitting: (() -> Void)?

    public init(model: Transformer, slots: Int, maxWaiting: Int) {
        batch = DecodeBatch(model: model, slots: slots)
        self.maxWaiting = max(0, maxWaiting)
    }

    public var slots: Int { batch.slots }
    /// The model's tokens and chat format.
    public var vocabulary: Vocabulary { batch.model.vocabulary }
    /// The thinking budgets the model reads in its prompt (`BudgetTag`); empty for none.
    public var budgetLevels: [Int] { batch.model.config.budgetLevels }

    /// Longest prompt the model's context takes.
    public var maxPromptTokens: Int { batch.maxPromptTokens }
    /// The model's context: prompt and completion tokens together.
    public var contextLength: Int { batch.model.config.contextLength }

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
        let free = batch.slots - occupiedSlots - waiting.count
        let fits = requests.count <= free
        let idle = waiting.isEmpty && occupiedSlots == 0
        guard fits || queuedGroups.count < maxWaiting || idle else { return nil }
        if !running {
            running = true
            let thread = Thread { [self] in loop() }
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
        condition.signal()
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
        toCancel.formUnion(rest)
        condition.signal()
    }

    /// Ends the decoding thread once the work in hand is done.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while waiting.isEmpty && batch.isEmpty && toCancel.isEmpty && !stopping { condition.wait() }
            if stopping && waiting.isEmpty && batch.isEmpty {
                running = false
                condition.unlock()
                return
            }
            let cancelled = toCancel
            toCancel = []
            condition.unlock()
            for id in cancelled where batch.cancel(id: id) {
                sinks.removeValue(forKey: id)?(.cancelled)
            }
            condition.lock()
            let admitted = Array(waiting.prefix(batch.freeSlots))
            waiting.removeFirst(admitted.count)
            for job in admitted { leaveQueue(job.group) }
            // Counted as occupied in the same moment they leave the queue, so that no submission
            // sees them neither waiting nor decoding.
            occupiedSlots = batch.slots - batch.freeSlots + admitted.count
            condition.unlock()
            if !admitted.isEmpty { onAdmitting?() }
            for var job in admitted {
                if let deadline = job.request.budget.deadline {
                    job.request.budget.deadline = max(0, deadline - Date().timeIntervalSince(job.submitted))
                }
                do {
                    let sink = job.sink
                    try batch.admit(job.request, id: job.id) { sink(.token($0)) }
                    sinks[job.id] = job.sink
                } catch {
                    job.sink(.failed("\(error)"))
                }
            }
            setOccupiedSlots(batch.slots - batch.freeSlots)
            do {
                for (id, generation) in try batch.step() {
                    sinks.removeValue(forKey: id)?(.finished(generation))
                }
            } catch {
                for (id, sink) in sinks {
                    batch.cancel(id: id)
                    sink(.failed("\(error)"))
                }
                sinks = [:]
            }
            setOccupiedSlots(batch.slots - batch.freeSlots)
        }
    }

    private func setOccupiedSlots(_ n: Int) {
        condition.lock()
        occupiedSlots = n
        condition.unlock()
    }
}
