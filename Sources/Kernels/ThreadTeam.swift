import Foundation
import Synchronization

/// The threads that run `Parallel.forEach`: `threadCount − 1` workers that stay awake (spinning)
/// for a while after each loop, so that the next loop of a forward pass starts in well under a
/// microsecond instead of paying a wake-up for every one of its ~40 operations; after 100
/// microseconds without work they sleep until the next loop.
///
/// One loop runs at a time: a caller that finds the team busy (another thread's loop, or a loop
/// nested inside a job) runs its iterations itself. Which thread runs an iteration never changes
/// a result: every kernel gives each iteration its own outputs.
final class ThreadTeam: @unchecked Sendable {
    static let shared = ThreadTeam(workers: Parallel.threadCount - 1)

    /// One loop: its body and the counters its threads share.
    private final class Loop: @unchecked Sendable {
        let body: (Int) -> Void
        let count: Int
        let next = Atomic<Int>(0)
        let finished = Atomic<Int>(0)
        /// Workers that have taken this loop and not yet let go of it.
        var holders = 0

        init(body: @escaping (Int) -> Void, count: Int) {
            self.body = body
            self.count = count
        }

        /// Runs iterations until none is left.
        func runIterations() {
            while true {
                let i = next.add(1, ordering: .relaxed).oldValue
                if i >= count { return }
                body(i)
                finished.add(1, ordering: .releasing)
            }
        }
    }

    let workers: Int
    /// Bumped for every loop handed out; a worker that sees it change takes the current loop.
    private let generation = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let sleepers = Atomic<Int>(0)
    /// The loop being run, and its holders, guarded by this lock.
    private let current = Mutex<Loop?>(nil)
    private let wake = NSCondition()

    /// How long a worker spins between loops before it sleeps: long enough to bridge the gaps
    /// inside a forward pass and between decode steps, short enough that a server's network
    /// threads (and anything else on the machine) get the core when decoding pauses (2 ms here
    /// cost the server a quarter of its requests/s).
    private static let spinNanoseconds: UInt64 = 100_000

    private init(workers: Int) {
        self.workers = max(0, workers)
        for index in 0..<self.workers {
            let thread = Thread { [self] in work() }
            thread.name = "strawberry-worker-\(index + 1)"
            thread.start()
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count` on the team and the calling thread; returns
    /// false, having run nothing, when the team is busy.
    func run(_ count: Int, _ body: (Int) -> Void) -> Bool {
        guard workers > 0, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return false
        }
        defer { busy.store(false, ordering: .releasing) }
        let start = Profile.enabled ? DispatchTime.now().uptimeNanoseconds : 0
        var own: UInt64 = 0
        withoutActuallyEscaping(body) { body in
            let loop = Loop(body: body, count: count)
            current.withLock { $0 = loop }
            generation.add(1, ordering: .releasing)
            if sleepers.load(ordering: .relaxed) > 0 {
                wake.lock()
                wake.broadcast()
                wake.unlock()
            }
            let mine = Profile.enabled ? DispatchTime.now().uptimeNanoseconds : 0
            loop.runIterations()
            if Profile.enabled { own = DispatchTime.now().uptimeNanoseconds &- mine }
            while loop.finished.load(ordering: .acquiring) < count {}
            // No worker may still hold the loop (and so the body) when this call returns.
            current.withLock { $0 = nil }
            while current.withLock({ _ in loop.holders }) > 0 {}
        }
        if Profile.enabled { Profile.add(.handoff, DispatchTime.now().uptimeNanoseconds &- start &- own) }
        return true
    }

    private func work() {
        var seen = 0
        while true {
            var spins = 0
            let idleSince = DispatchTime.now().uptimeNanoseconds
            while generation.load(ordering: .acquiring) == seen {
                spins &+= 1
                if spins & 1023 == 0 && DispatchTime.now().uptimeNanoseconds &- idleSince > Self.spinNanoseconds {
                    wake.lock()
                    sleepers.add(1, ordering: .relaxed)
                    while generation.load(ordering: .acquiring) == seen { wake.wait() }
                    sleepers.subtract(1, ordering: .relaxed)
                    wake.unlock()
                }
            }
            seen = generation.load(ordering: .acquiring)
            // Taken without a reference of its own: the caller keeps the loop (and its body) alive
            // until every holder has let go, and nothing of it may outlive the caller's call.
            guard let loop = current.withLock({ loop -> Unmanaged<Loop>? in
                loop?.holders += 1
                return loop.map { Unmanaged.passUnretained($0) }
            }) else { continue }
            loop._withUnsafeGuaranteedRef { $0.runIterations() }
            current.withLock { _ in loop._withUnsafeGuaranteedRef { $0.holders -= 1 } }
        }
    }
}
