import Foundation
import Synchronization
import Testing
import Kernels

/// `Parallel.forEach` runs every iteration exactly once, and inside `Parallel.alone` all of them on
/// the calling thread, nested or not (an inner `alone` leaves the outer one in force).
@Suite struct ParallelTests {
    /// The threads that ran each iteration of one loop.
    final class Runners: @unchecked Sendable {
        private let threads = Mutex<[Int: pthread_t]>([:])
        func record(_ i: Int) { threads.withLock { $0[i] = pthread_self() } }
        var all: [Int: pthread_t] { threads.withLock { $0 } }
    }

    /// Each iteration takes a moment, so that a team left free would surely take some of them.
    static func loop(_ count: Int) -> [Int: pthread_t] {
        let runners = Runners()
        Parallel.forEach(count) {
            runners.record($0)
            usleep(20)
        }
        return runners.all
    }

    static func allOn(_ thread: pthread_t, _ runners: [Int: pthread_t]) -> Bool {
        runners.values.allSatisfy { pthread_equal($0, thread) != 0 }
    }

    @Test func everyIterationRunsOnceAndAloneKeepsThemOnTheCallingThread() throws {
        let me = pthread_self()
        #expect(Set(Self.loop(64).keys) == Set(0..<64))
        let alone = Parallel.alone { Self.loop(64) }
        #expect(Set(alone.keys) == Set(0..<64))
        #expect(Self.allOn(me, alone))
        // Nested: the inner call puts the switch back on, not off, when it returns.
        let (inner, after) = Parallel.alone { (Parallel.alone { Self.loop(32) }, Self.loop(32)) }
        #expect(Self.allOn(me, inner) && Self.allOn(me, after))
        // A thrown error passes through.
        struct Stop: Error {}
        #expect(throws: Stop.self) { try Parallel.alone { () throws(Stop) in throw Stop() } }
        #expect(Set(Self.loop(16).keys) == Set(0..<16))
    }
}
