import Foundation

/// The `strawberry` executable that `swift test` builds beside the test bundle, run as a user would.
public enum StrawberryProcess {
    public static var executable: String? {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return [folder, folder.deletingLastPathComponent()].map { $0.appendingPathComponent("strawberry").path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts `strawberry ARGUMENTS` with its output discarded, or sent to `stderr` when given.
    public static func start(_ arguments: [String], stderr: Pipe? = nil) throws -> Process {
        guard let executable else { throw StrawberryProcessError.notBuilt }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr ?? FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs `strawberry ARGUMENTS` to its end, with `environment` added to this process's:
    /// exit status and what it printed (stdout and stderr).
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        guard let executable else { throw StrawberryProcessError.notBuilt }
        return try run(executable: executable, arguments, environment: environment)
    }

    /// Runs `executable ARGUMENTS` to its end, as `run(_:environment:)` does.
    public static func run(executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Reads `pipe` until a line matches `pattern` (a regular expression) or the process closes it;
    /// returns everything read and the first match.
    public static func read(_ pipe: Pipe, until pattern: String) -> (output: String, match: String?) {
        var output = ""
        while true {
            if let range = output.range(of: pattern, options: .regularExpression) { return (output, String(output[range])) }
            let data = pipe.fileHandleForReading.availableData
            if data.isEmpty { return (output, nil) }
            output += String(decoding: data, as: UTF8.self)
        }
    }
}

public enum StrawberryProcessError: Error, CustomStringConvertible {
    case notBuilt
    public var description: String { "the strawberry executable is not built beside the tests (swift test builds it)" }
}
