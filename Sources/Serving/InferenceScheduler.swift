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
    public typealias Sink = @Sendable (Event) -> Void

    private struct Job {
        let id: Int
        var request: GenerationRequest
        let submitted: Date
        let sink: Sink
    }

    public let maxWaiting: Int
    private let batch: DecodeBatch
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var waiting: [Job] = []
    private var toCancel: Set<Int> = []
    private var nextID = 0
    private var decodingCount = 0
    private var stopping = false
    private var running = false
    // Owned by the decoding thread:
    private var sinks: [Int: Sink] = [:]

    public init(model: Transformer, slots: Int, maxWaiting: Int) {
        batch = DecodeBatch(model: model, slots: slots)
        self.maxWaiting = max(0, maxWaiting)
    }

    public var slots: Int { batch.slots }
    /// The model's tokens and chat format.
    public var vocabulary: Vocabulary { batch.model.vocabulary }

    /// Longest prompt the model's context takes.
    public var maxPromptTokens: Int { batch.maxPromptTokens }

    /// Requests waiting for a slot and sequences decoding now.
    public var load: (waiting: Int, decoding: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (waiting.count, decodingCount)
    }

    /// Queues requests together (all or none) and returns their ids, or nil when the queue is full.
    /// A request's `budget.deadline` counts from submission: time spent waiting is taken off it.
    public func submit(_ requests: [GenerationRequest], sink: @escaping @Sendable (Int, Event) -> Void) -> [Int]? {
        condition.lock()
        defer { condition.unlock() }
        // Room: free slots plus the queue; a request larger than both is still taken when idle.
        let room = max(0, batch.slots - decodingCount) + maxWaiting - waiting.count
        guard requests.count <= room || (waiting.isEmpty && decodingCount == 0) else { return nil }
        if !running {
            running = true
            let thread = Thread { [self] in loop() }
            thread.name = "strawberry-decode"
            thread.start()
        }
        var ids: [Int] = []
        for (i, r) in requests.enumerated() {
            let id = nextID
            nextID += 1
            ids.append(id)
            waiting.append(Job(id: id, request: r, submitted: Date(), sink: { sink(i, $0) }))
        }
        condition.signal()
        return ids
    }

    /// Stops requests (a client went away, or a stop sequence was met); each hears `.cancelled`
    /// unless it already finished.
    public func cancel(_ ids: [Int]) {
        condition.lock()
        defer { condition.unlock() }
        var rest = Set(ids)
        waiting.removeAll { job in
            guard rest.remove(job.id) != nil else { return false }
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
            condition.unlock()
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
            setDecodingCount(batch.slots - batch.freeSlots)
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
            setDecodingCount(batch.slots - batch.freeSlots)
        }
    }

    private func setDecodingCount(_ n: Int) {
        condition.lock()
        decodingCount = n
        condition.unlock()
    }
}
