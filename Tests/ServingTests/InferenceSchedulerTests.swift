import Foundation
import Model
import Reasoning
import Testing
import TestSupport
@testable import Serving

/// Collects a scheduler's events per request.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var tokens: [Int: [Int32]] = [:]
    private var ends: [Int: InferenceScheduler.Event] = [:]

    func add(_ i: Int, _ e: InferenceScheduler.Event) {
        lock.lock()
        defer { lock.unlock() }
        if case .token(let t) = e { tokens[i, default: []].append(t.token) } else { ends[i] = e }
    }

    func ended(_ n: Int) -> Bool { lock.lock(); defer { lock.unlock() }; return ends.count >= n }
    func end(_ i: Int) -> InferenceScheduler.Event? { lock.lock(); defer { lock.unlock() }; return ends[i] }
    func streamed(_ i: Int) -> [Int32] { lock.lock(); defer { lock.unlock() }; return tokens[i] ?? [] }

    func wait(for n: Int, seconds: Double = 60) {
        let start = Date()
        while !ended(n) && Date().timeIntervalSince(start) < seconds { usleep(2_000) }
    }
}

@Suite struct InferenceSchedulerTests {
    static let model = try! Transformer(config: ModelConfig.tiny(context: 96), seed: 5)

    static func requests(_ n: Int, thinking: Int = 12) -> [GenerationRequest] {
        (0..<n).map { i in
            GenerationRequest(user: "question \(i)", sampling: SamplingOptions(temperature: 1, seed: UInt64(i)),
                              budget: Budget(maxThinking: thinking, maxAnswer: 6))
        }
    }

    @Test(arguments: [1, 3])
    func requestsFromManyCallersDecodeAsTheEngineWould(batches: Int) throws {
        let expected = try Engine(model: Self.model, slots: 3).generate(Self.requests(7))
        let scheduler = InferenceScheduler(model: Self.model, slots: 3, maxWaiting: 16, replicas: batches)
        #expect(scheduler.batches == batches && scheduler.slots == 3)
        let log = EventLog()
        // Submitted one at a time from concurrent callers, as separate HTTP requests would be.
        DispatchQueue.concurrentPerform(iterations: 7) { i in
            let ids = scheduler.submit([Self.requests(7)[i]]) { _, e in log.add(i, e) }
            #expect(ids?.count == 1)
        }
        log.wait(for: 7)
        for i in 0..<7 {
            guard case .finished(let g)? = log.end(i) else { Issue.record("request \(i) did not finish"); continue }
            #expect(g.tokens == expected[i].tokens)
            #expect(log.streamed(i) == g.tokens)
        }
        #expect(scheduler.load.waiting == 0)
        // An emptied batch stops counting as stepping (else a lone request later would decode on
        // one thread, as if another batch were beside it): waited for, since the finished event
        // comes just before the count.
        let start = Date()
        while scheduler.batchesStepping > 0 && Date().timeIntervalSince(start) < 60 { usleep(1_000) }
        #expect(scheduler.batchesStepping == 0)
        scheduler.shutdown()
    }

    @Test func aFullQueueRefusesAndCancellingFreesTheSlot() throws {
        let model = try Transformer(config: ModelConfig.tiny(layers: 1, context: 4096), seed: 5)
        let scheduler = InferenceScheduler(model: model, slots: 1, maxWaiting: 1)
        let log = EventLog()
        let long = GenerationRequest(user: "long", sampling: SamplingOptions(temperature: 1, seed: 1),
                                     budget: Budget(maxThinking: 4000, maxAnswer: 10, deadline: 30, minThinking: 4000))
        // The decoding request holds the decoding thread at its third token until the queue has
        // been checked, then cancels itself: it is surely still decoding, however fast or loaded
        // the machine.
        let firstIDs = SubmittedIDs()
        let queueChecked = DispatchSemaphore(value: 0)
        defer { queueChecked.signal() }  // never leave the decoding thread held, even when a check fails
        let first = try #require(scheduler.submit([long]) { _, e in
            log.add(0, e)
            guard case .token = e, log.streamed(0).count == 3 else { return }
            queueChecked.wait()
            scheduler.cancel(firstIDs.value!)
        })
        firstIDs.value = first
        let second = try #require(scheduler.submit([long]) { _, e in log.add(1, e) })
        #expect(scheduler.submit([long]) { _, _ in } == nil, "one decoding and one waiting fill slots 1 + queue 1")
        scheduler.cancel(second)  // waiting: leaves the queue at once
        #expect(log.end(1).map { if case .cancelled = $0 { true } else { false } } == true)
        queueChecked.signal()
        log.wait(for: 2)  // decoding: leaves at the step after its cancel
        guard case .cancelled? = log.end(0) else { Issue.record("decoding request was not cancelled"); return }
        let third = scheduler.submit(Self.requests(1)) { _, e in log.add(2, e) }
        #expect(third != nil)
        log.wait(for: 3)
        guard case .finished? = log.end(2) else { Issue.record("the freed slot was not reused"); return }
        scheduler.shutdown()
    }

    @Test func aCancelReachesTheBatchThatHoldsTheRequest() throws {
        let model = try Transformer(config: ModelConfig.tiny(layers: 1, context: 4096), seed: 5)
        let scheduler = InferenceScheduler(model: model, slots: 4, maxWaiting: 4, replicas: 2)
        let log = EventLog()
        let long = GenerationRequest(user: "long", sampling: SamplingOptions(temperature: 1, seed: 1),
                                     budget: Budget(maxThinking: 4000, maxAnswer: 10, deadline: 60, minThinking: 4000))
        // Submitted together, the four fill both batches of two at once. Each holds its batch's
        // thread at its second token until the test has cancelled all four (both of a batch have
        // their first token by then): every one is surely decoding, however loaded the machine.
        let firstTokens = DispatchSemaphore(value: 0), cancelled = DispatchSemaphore(value: 0)
        defer { for _ in 0..<4 { cancelled.signal() } }  // never leave a decoding thread held
        let ids = try #require(scheduler.submit(Array(repeating: long, count: 4)) { i, e in
            log.add(i, e)
            guard case .token = e else { return }
            if log.streamed(i).count == 1 { firstTokens.signal() }
            if log.streamed(i).count == 2 { cancelled.wait() }
        })
        for _ in 0..<4 { firstTokens.wait() }
        #expect(scheduler.load.decoding == 4)
        scheduler.cancel(ids)
        for _ in 0..<4 { cancelled.signal() }
        log.wait(for: 4)
        for i in 0..<4 {
            guard case .cancelled? = log.end(i) else { Issue.record("request \(i) was not cancelled: \(String(describing: log.end(i)))"); continue }
        }
        // The freed slots take new requests, in either batch.
        for i in 4..<8 { #expect(scheduler.submit(Self.requests(1)) { _, e in log.add(i, e) } != nil) }
        log.wait(for: 8)
        for i in 4..<8 {
            guard case .finished? = log.end(i) else { Issue.record("request \(i) did not finish"); continue }
        }
        scheduler.shutdown()
    }

    @Test func aRequestLeavingTheQueueStillHoldsItsSlot() throws {
        // The moment between leaving the queue and entering the batch: a request there is neither
        // waiting nor decoding, and must not leave room for one more than slots + queue.
        let scheduler = InferenceScheduler(model: Self.model, slots: 1, maxWaiting: 0)
        let log = EventLog()
        let refused = Flag()
        let checked = DispatchSemaphore(value: 0)
        scheduler.onAdmitting = {
            scheduler.onAdmitting = nil
            if scheduler.submit(Self.requests(1), sink: { _, e in log.add(1, e) }) == nil { refused.raise() }
            checked.signal()
        }
        #expect(scheduler.submit(Self.requests(1)) { _, e in log.add(0, e) } != nil)
        checked.wait()
        #expect(refused.isRaised, "a second request was taken while the only slot was being filled")
        log.wait(for: refused.isRaised ? 1 : 2)
        scheduler.shutdown()
    }

    @Test func theQueueCountsRequestsNotSamples() throws {
        let model = try Transformer(config: ModelConfig.tiny(layers: 1, context: 4096), seed: 5)
        let scheduler = InferenceScheduler(model: model, slots: 1, maxWaiting: 2)
        let log = EventLog()
        let long = GenerationRequest(user: "long", sampling: SamplingOptions(temperature: 1, seed: 1),
                                     budget: Budget(maxThinking: 4000, maxAnswer: 10, deadline: 60, minThinking: 4000))
        // The decoding request holds the decoding thread at its first token until the queue has
        // been checked, so that nothing leaves the queue meanwhile.
        let decodingStarted = DispatchSemaphore(value: 0), queueChecked = DispatchSemaphore(value: 0)
        defer { queueChecked.signal() }  // never leave the decoding thread held, even when a check fails
        let decoding = try #require(scheduler.submit([long]) { _, e in
            log.add(0, e)
            guard case .token = e, log.streamed(0).count == 1 else { return }
            decodingStarted.signal()
            queueChecked.wait()
        })
        decodingStarted.wait()
        // Two requests of three samples each wait; that is two requests, the queue's limit.
        let first = try #require(scheduler.submit([long, long, long]) { i, e in log.add(10 + i, e) })
        let second = try #require(scheduler.submit([long, long, long]) { i, e in log.add(20 + i, e) })
        #expect(scheduler.load.waiting == 2, "waiting counts requests")
        #expect(scheduler.submit([long]) { _, _ in } == nil, "a third request is refused by a queue of 2")
        scheduler.cancel(decoding + first + second)
        queueChecked.signal()
        log.wait(for: 7)
        scheduler.shutdown()
    }
}

/// Request ids that a sink reads once `submit` has returned them.
final class SubmittedIDs: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: [Int]?

    var value: [Int]? {
        get { lock.withLock { ids } }
        set { lock.withLock { ids = newValue } }
    }
}

/// A flag one thread raises and another reads.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false

    func raise() { lock.withLock { raised = true } }
    var isRaised: Bool { lock.withLock { raised } }
}
