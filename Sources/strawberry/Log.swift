import Cluster
import Foundation

/// Writes a progress line to standard error, leaving standard output for data.
func log(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// `log` on rank 0 of a multi-process job and nothing on the other ranks, which would repeat it.
func log(on communicator: any Communicator) -> @Sendable (String) -> Void {
    guard communicator.isPrimary else { return { _ in } }
    return { line in log(line) }
}

/// A command that runs as one rank of several under MPI (each rank does its share); other
/// commands refuse to start under a multi-rank launch instead of running N copies of themselves.
protocol RunsAcrossRanks {}
