/// Why a multi-process job could not start or go on; each case says what to do.
public enum ClusterError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Launched with several ranks by a build that has no MPI.
    case builtWithoutMPI(ranks: Int)
    /// An MPI call returned an error.
    case mpi(call: String, code: Int32, text: String)
    /// The ranks were started with different settings or models.
    case mismatch([String])
    /// A message could not be encoded or decoded.
    case encoding(String)
    /// More data than one MPI call can carry.
    case tooLarge(count: Int)

    public var description: String {
        switch self {
        case .builtWithoutMPI(let ranks):
            "this strawberry was built without MPI but was launched as one of \(ranks) ranks; build it with "
                + "`swift build -c release --traits MPI` (Open MPI: apt-get install libopenmpi-dev openmpi-bin) and launch that binary"
        case .mpi(let call, let code, let text):
            "\(call) failed (MPI error \(code): \(text)); another rank has probably stopped — see its message above"
        case .mismatch(let differences):
            "the ranks were started with different settings; start every rank with the same command and files:\n  "
                + differences.joined(separator: "\n  ")
        case .encoding(let what):
            "could not exchange \(what) between ranks"
        case .tooLarge(let count):
            "cannot exchange \(count) values in one MPI call (the limit is \(Int32.max)); use fewer parameters per rank"
        }
    }
}
