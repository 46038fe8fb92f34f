#if MPI
import CMPI
import Foundation

/// MPI's world communicator (`mpirun -np N` or `srun`). Only one thread at a time calls it: the
/// command's own thread, between the parallel kernels.
public final class MPICommunicator: Communicator, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// Scratch for `sum`, kept between calls: the gradient is summed every step.
    private var outgoing: [Float] = []
    private var incoming: [Float] = []

    /// Joins the job that `mpirun`/`srun` started; MPI is finalised when the process exits.
    public init() throws(ClusterError) {
        try Self.check(strawberry_mpi_init(), "MPI_Init_thread")
        rank = Int(strawberry_mpi_rank())
        size = Int(strawberry_mpi_size())
        atexit { _ = strawberry_mpi_finalize() }
        if rank == 0 { Self.explainTermination() }
    }

    /// The launcher ends the surviving ranks with SIGTERM when one rank dies; rank 0 then says
    /// so before it goes (the launcher's own note names the rank that died).
    private static func explainTermination() {
        signal(SIGTERM) { _ in
            // Only async-signal-safe calls here: the text was made before the signal.
            _ = write(2, terminationNote, strlen(terminationNote))
            _exit(143)
        }
    }

    public func allGather(_ bytes: [UInt8]) throws(ClusterError) -> [[UInt8]] {
        guard bytes.count < Int32.max else { throw .tooLarge(count: bytes.count) }
        var counts = [Int32](repeating: 0, count: size)
        try Self.check(strawberry_mpi_allgather_int(Int32(bytes.count), &counts), "MPI_Allgather")
        var displacements = [Int32](repeating: 0, count: size)
        var total = 0
        for r in 0..<size {
            displacements[r] = Int32(total)
            total += Int(counts[r])
        }
        guard total < Int32.max else { throw .tooLarge(count: total) }
        var all = [UInt8](repeating: 0, count: max(total, 1))
        let rc = bytes.withUnsafeBytes { send in
            strawberry_mpi_allgatherv_bytes(send.baseAddress, Int32(bytes.count), &all, counts, displacements)
        }
        try Self.check(rc, "MPI_Allgatherv")
        return (0..<size).map { r in Array(all[Int(displacements[r])..<Int(displacements[r]) + Int(counts[r])]) }
    }

    /// A reduce-scatter then an all-gather, as a ring all-reduce moves data (2·(P−1)/P of the
    /// buffer per rank), but with each slice added by one rank in rank order, so that the sum is
    /// deterministic and identical everywhere.
    public func sum(_ values: UnsafeMutableBufferPointer<Float>) throws(ClusterError) {
        guard size > 1, !values.isEmpty else { return }
        let slice = (values.count + size - 1) / size
        guard slice * size < Int32.max else { throw .tooLarge(count: values.count) }
        if outgoing.count != slice * size {
            outgoing = [Float](repeating: 0, count: slice * size)
            incoming = outgoing
        }
        outgoing.withUnsafeMutableBufferPointer { out in
            _ = out.initialize(from: values)
        }
        try Self.check(strawberry_mpi_alltoall_float(outgoing, &incoming, Int32(slice)), "MPI_Alltoall")
        // incoming[j·slice + k] is rank j's value at (this rank's slice)·slice + k.
        var reduced = [Float](repeating: 0, count: slice)
        incoming.withUnsafeBufferPointer { from in
            for k in 0..<slice {
                var total = from[k]
                for j in 1..<size { total += from[j &* slice &+ k] }
                reduced[k] = total
            }
        }
        try Self.check(strawberry_mpi_allgather_float(reduced, &outgoing, Int32(slice)), "MPI_Allgather")
        outgoing.withUnsafeBufferPointer { summed in
            for i in 0..<values.count { values[i] = summed[i] }
        }
    }

    public func abort(code: Int32, message: String) -> Never {
        FileHandle.standardError.write(Data(("rank \(rank) of \(size): " + message + "\n").utf8))
        strawberry_mpi_abort(code)
        exit(code)
    }

    private static func check(_ code: Int32, _ call: String) throws(ClusterError) {
        guard code != 0 else { return }
        var text = [CChar](repeating: 0, count: 512)
        strawberry_mpi_error_text(code, &text, Int32(text.count))
        throw .mpi(call: call, code: code, text: String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}

/// What rank 0 prints when the launcher stops it, ready before any signal arrives.
nonisolated(unsafe) private let terminationNote: UnsafeMutablePointer<CChar> = strdup(
    "strawberry: rank 0 was stopped because another rank of the job ended; the run folder keeps its "
        + "last checkpoint: run the same command with --resume to continue\n")!
#endif
