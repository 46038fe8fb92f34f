import Training
import ArgumentParser

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

    /// Expands `--config FILE` into the file's flags, then runs the command as usual.
    static func main() async {
        do {
            await main(try ConfigFile.expand(Array(CommandLine.arguments.dropFirst())))
        } catch {
            exit(withError: ValidationError(error.description))
        }
    }
}
