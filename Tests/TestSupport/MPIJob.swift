import Foundation

/// `mpirun -np N strawberry …` with a strawberry built with `--traits MPI`, named by
/// `STRAWBERRY_MPI_BINARY` (`.ci/run` builds one when Open MPI is installed).
public enum MPIJob {
    /// The MPI build of strawberry, when one is named and exists.
    public static var executable: String? {
        ProcessInfo.processInfo.environment["STRAWBERRY_MPI_BINARY"].flatMap {
            FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil
        }
    }

    public static var mpirun: String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .map { $0 + "/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether the MPI tests can run; with `STRAWBERRY_REQUIRE_MPI=1` they run (and fail) even
    /// when they cannot, so that CI does not skip them silently.
    public static var available: Bool {
        (executable != nil && mpirun != nil) || ProcessInfo.processInfo.environment["STRAWBERRY_REQUIRE_MPI"] == "1"
    }

    public static let skipReason = "needs mpirun on PATH and STRAWBERRY_MPI_BINARY naming a strawberry built with `swift build -c release --traits MPI`"

    /// Open MPI refuses root without these; the CI machine runs as root.
    static let environment = ProcessInfo.processInfo.environment.merging(
        ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_rmaps_base_oversubscribe": "1"]) { $1 }

    /// `mpirun` with `arguments` (`-np 2 strawberry sft …` with `strawberry` standing for the MPI
    /// build), started with its output collected into `output`.
    public static func start(_ arguments: [String], output: Pipe) throws -> Process {
        guard let mpirun, let executable else { throw MPIJobError.unavailable }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun)
        process.arguments = arguments.map { $0 == "strawberry" ? executable : $0 }
        process.environment = environment
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return process
    }

    /// Runs `mpirun ARGUMENTS` to its end: exit status and everything printed.
    public static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let pipe = Pipe()
        let process = try start(arguments, output: pipe)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs the MPI build alone (one process, no launcher).
    public static func single(_ arguments: [String]) throws -> (status: Int32, output: String) {
        guard let executable else { throw MPIJobError.unavailable }
        return try StrawberryProcess.run(executable: executable, arguments)
    }

    /// The process of rank `rank` among the children of the launcher `launcher` (read from
    /// /proc: Open MPI gives each rank OMPI_COMM_WORLD_RANK).
    public static func rankProcess(_ rank: Int, of launcher: Process) -> pid_t? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for entry in entries {
            guard let pid = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, pid_t(fields[1]) == launcher.processIdentifier,
                  let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }
}

public enum MPIJobError: Error, CustomStringConvertible {
    case unavailable
    public var description: String { "MPI tests " + MPIJob.skipReason }
}
