import Foundation
import Testing
import TestSupport
import Cluster
import Model
import Training

/// The pieces of data-parallel training that need no MPI: how work is shared out, and that the
/// shares of a batch add up to the batch.
@Suite struct DataParallelTests {
    /// A stand-in rank of a job of `size`, for `share(of:)` (it never exchanges anything).
    final class Rank: Communicator, @unchecked Sendable {
        let rank: Int, size: Int
        init(_ rank: Int, of size: Int) { (self.rank, self.size) = (rank, size) }
        func allGather(_ bytes: [UInt8]) throws(ClusterError) -> [[UInt8]] { fatalError("not exchanged") }
        func sum(_ values: UnsafeMutableBufferPointer<Float>) throws(ClusterError) { fatalError("not exchanged") }
        func abort(code: Int32, message: String) -> Never { fatalError(message) }
    }

    @Test(arguments: [(0, 1), (1, 2), (7, 2), (16, 3), (13, 5), (2, 4)])
    func sharesCoverEveryItemOnceInOrder(count: Int, ranks: Int) {
        let shares = (0..<ranks).map { Rank($0, of: ranks).share(of: count) }
        #expect(shares.flatMap { Array($0) } == Array(0..<count))
        let sizes = shares.map(\.count)
        #expect(sizes.max()! - sizes.min()! <= 1)
    }

    @Test func theSharesOfABatchAreItsRowsWithTheWholeBatchsWeights() {
        let data = SFTTrainerTests.dataset()
        let whole = data.batch(step: 2, size: 5, seed: 9)
        let first = data.batch(step: 2, size: 5, seed: 9, share: 0..<2)
        let second = data.batch(step: 2, size: 5, seed: 9, share: 2..<5)
        #expect(first.batchSize == 2 && second.batchSize == 3)
        // Each share's rows are the whole batch's rows, with the same weights (normalised by the
        // whole batch's learned tokens), so the shares' losses add up to the batch's.
        // Rows are padded to their own batch's longest sequence: compare them without the padding.
        func rows(_ b: TokenBatch) -> [[Float]] {
            (0..<b.batchSize).map { r in
                let row = b.weights[(r * b.length)..<(r * b.length + b.length)]
                return Array(row.prefix((row.lastIndex { $0 != 0 } ?? row.startIndex - 1) - row.startIndex + 1))
            }
        }
        #expect(rows(first) + rows(second) == rows(whole))
        #expect(abs(whole.weights.reduce(0, +) - 1) < 1e-5)
    }

    @Test func aSingleProcessExchangesNothing() throws {
        let one = SingleProcess()
        var values: [Float] = [1, 2, 3]
        try values.withUnsafeMutableBufferPointer { try one.sum($0) }
        #expect(values == [1, 2, 3])
        #expect(try one.allGather("x") == ["x"])
        #expect(one.share(of: 7) == 0..<7)
        try one.requireSameSettings(["--lr": "1"])
    }

    @Test(.enabled(if: !Cluster.supportsMPI, "an MPI build joins the job instead"))
    func launchedAsSeveralRanksWithoutMPITheCommandRefusesAndSaysHowToBuildIt() throws {
        let result = try StrawberryProcess.run(["sft", "--data", "/nonexistent.jsonl", "--out", Scratch.path("no-mpi")],
                                               environment: ["OMPI_COMM_WORLD_SIZE": "2"])
        #expect(result.status != 0)
        #expect(result.output.contains("--traits MPI"))
        let serve = try StrawberryProcess.run(["serve", "--model", "x"], environment: ["OMPI_COMM_WORLD_SIZE": "2"])
        #expect(serve.status != 0 && serve.output.contains("does not run as one of 2 ranks"))
    }
}
