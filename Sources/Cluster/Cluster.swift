import Foundation

/// The job this process belongs to.
public enum Cluster {
    /// How many ranks the launcher (`mpirun`, `srun`) started, read from the variables it sets;
    /// nil when this process was started on its own.
    public static var launchedRanks: Int? {
        let environment = ProcessInfo.processInfo.environment
        if let n = environment["OMPI_COMM_WORLD_SIZE"].flatMap({ Int($0) }) { return n }
        if let n = environment["PMI_SIZE"].flatMap({ Int($0) }) { return n }
        if environment["SLURM_STEP_ID"] != nil, let n = environment["SLURM_NTASKS"].flatMap({ Int($0) }) { return n }
        return nil
    }

    /// Whether this build can run as one rank of several (the package trait `MPI`).
    public static var supportsMPI: Bool {
        #if MPI
        true
        #else
        false
        #endif
    }

    /// MPI's world when a launcher started several ranks, a single process otherwise; throws
    /// when several ranks were launched but this build has no MPI (each would run the whole job
    /// alone and write the same files).
    /// The same communicator every time it is called.
    public static func join() throws(ClusterError) -> any Communicator { try world.get() }

    private static let world: Result<any Communicator, ClusterError> = {
        guard let ranks = launchedRanks, ranks > 1 else { return .success(SingleProcess()) }
        #if MPI
        do throws(ClusterError) { return .success(try MPICommunicator()) } catch { return .failure(error) }
        #else
        return .failure(.builtWithoutMPI(ranks: ranks))
        #endif
    }()
}
