import Foundation

/// A part of a forward or training pass whose wall-clock time `Profile` adds up.
public enum Phase: Int, CaseIterable, Sendable {
    /// Matrix multiplies (their packing included).
    case gemm
    /// Packing operands for the multiply (part of `gemm`).
    case packing
    /// Attention: over the KV cache when decoding, causal blocks when training.
    case attention
    /// RMSNorm, forward and backward.
    case norms
    /// SwiGLU, rotary embeddings, residual adds, embedding, cross-entropy.
    case elementwise
    /// Turning logits into tokens.
    case sampling
    /// The optimizer step, gradient clipping and zeroing.
    case optimizer
    /// Exchanges between the ranks of a multi-process job (summing gradients, gathering results).
    case communication
    /// Time the calling thread spends in a parallel loop not running its own share: waking the
    /// other threads and waiting for them (part of the phases above).
    case handoff

    public var name: String {
        switch self {
        case .gemm: "GEMM"
        case .packing: "  packing"
        case .attention: "attention"
        case .norms: "norms"
        case .elementwise: "elementwise"
        case .sampling: "sampling"
        case .optimizer: "optimizer"
        case .communication: "between ranks"
        case .handoff: "thread hand-offs"
        }
    }
}

/// Per-phase wall-clock totals for `strawberry bench`: off (one branch per call) unless enabled.
/// Only the work of the thread that called `start()` is timed, and only the outermost phase of nested ones (a GEMM
/// inside attention counts as attention), except `packing` and `handoff`, which are timed inside
/// the phases that contain them.
public enum Profile {
    nonisolated(unsafe) public private(set) static var enabled = false
    @usableFromInline nonisolated(unsafe) static var owner = pthread_self()
    nonisolated(unsafe) static var nanoseconds = [UInt64](repeating: 0, count: Phase.allCases.count)
    nonisolated(unsafe) static var calls = [Int](repeating: 0, count: Phase.allCases.count)
    @usableFromInline nonisolated(unsafe) static var depth = 0

    @inlinable
    public static func measure<T, E: Error>(_ phase: Phase, _ body: () throws(E) -> T) throws(E) -> T {
        guard enabled, pthread_equal(pthread_self(), owner) != 0, depth == 0 || phase == .packing || phase == .handoff else { return try body() }
        depth += 1
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            add(phase, DispatchTime.now().uptimeNanoseconds &- start)
            depth -= 1
        }
        return try body()
    }

    @usableFromInline
    static func add(_ phase: Phase, _ elapsed: UInt64) {
        guard pthread_equal(pthread_self(), owner) != 0 else { return }
        nanoseconds[phase.rawValue] &+= elapsed
        calls[phase.rawValue] &+= 1
    }

    /// Clears the totals and times the calling thread's phases from now on.
    public static func start() {
        reset()
        owner = pthread_self()
        enabled = true
    }

    public static func stop() { enabled = false }

    public static func reset() {
        nanoseconds = nanoseconds.map { _ in 0 }
        calls = calls.map { _ in 0 }
        depth = 0
    }

    /// Seconds and calls per phase since the last reset.
    public static var totals: [(phase: Phase, seconds: Double, calls: Int)] {
        Phase.allCases.map { ($0, Double(nanoseconds[$0.rawValue]) / 1e9, calls[$0.rawValue]) }
    }
}
