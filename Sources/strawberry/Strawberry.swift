import ArgumentParser
import Cluster
import Training

/// The `strawberry` command: thin subcommands over the libraries.
@main
struct Strawberry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strawberry",
        abstract: "A small language model that thinks before it answers, trained and served on a CPU.",
        discussion: """
        Every subcommand also reads its options from --config FILE.json: the flags' names as keys \
        ({"steps": 400, "lr": 0.001, "cut-thinking": 0.5, "budgets": [0, 64, 128]}); flags given \
        on the command line override the file.
        """,
        subcommands: [QuickstartCommand.self, TrainCommand.self, DataCommand.self, SFTCommand.self, RLCommand.self, EvalCommand.self, ChatCommand.self, DistillCommand.self, ExportCommand.self, ImportCommand.self, ServeCommand.self, RunsCommand.self, ShowCommand.self, BenchCommand.self]
    )

    /// Expands `--config FILE` into the file's flags, then runs the command as usual. Under MPI a
    /// rank that fails ends the whole job (the others would wait for it forever).
    nonisolated static func main() async {
        let arguments: [String]
        do { arguments = try ConfigFile.expand(Array(CommandLine.arguments.dropFirst())) } catch {
            exit(withError: ValidationError(error.description))
        }
        do {
            var command = try parseAsRoot(arguments)
            if let ranks = Cluster.launchedRanks, ranks > 1, !(type(of: command) is RunsAcrossRanks.Type) {
                throw ValidationError("`strawberry \(type(of: command).configuration.commandName ?? "")` does not run as one of \(ranks) ranks; "
                                      + "start it as one process (sft, eval and rl run under mpirun)")
            }
            if var asyncCommand = command as? AsyncParsableCommand { try await asyncCommand.run() } else { try command.run() }
        } catch {
            if exitCode(for: error) != .success, let ranks = Cluster.launchedRanks, ranks > 1, let world = try? Cluster.join() {
                world.abort(code: exitCode(for: error).rawValue, message: fullMessage(for: error))
            }
            exit(withError: error)
        }
    }
}
