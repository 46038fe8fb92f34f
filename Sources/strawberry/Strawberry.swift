import ArgumentParser

/// The `strawberry` command: thin subcommands over the libraries.
@main
struct Strawberry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strawberry",
        abstract: "A small language model that thinks before it answers, trained and served on a CPU.",
        subcommands: [QuickstartCommand.self, TrainCommand.self, DataCommand.self, SFTCommand.self, RLCommand.self, EvalCommand.self, ChatCommand.self, DistillCommand.self, ExportCommand.self, ImportCommand.self, ServeCommand.self, RunsCommand.self, ShowCommand.self, BenchCommand.self]
    )
}
