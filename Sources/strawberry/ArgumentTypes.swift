import ArgumentParser
import Kernels
import Model
import Reasoning
import Tasks
import Training

// Enumerations the command line takes by name; `--help` lists their values.
extension TraceStyle: ExpressibleByArgument {}
extension Split: ExpressibleByArgument {}
extension Countdown.SearchOrder: ExpressibleByArgument {}
extension GRPOOptions.Aggregation: ExpressibleByArgument {}
extension TrainingPipeline.RLMethod: ExpressibleByArgument {}
extension GGUFExport.Precision: ExpressibleByArgument {}

/// The worked-solution styles meant for small budget levels, which `--brief-traces` takes.
enum SmallBudgetTraces: String, ExpressibleByArgument, CaseIterable {
    case brief, hurried

    var style: TraceStyle {
        switch self {
        case .brief: .brief
        case .hurried: .hurried
        }
    }
}

/// Comma-separated integers, each at least `minimum`; nil for an empty list or any other part.
func integerList(_ argument: String, atLeast minimum: Int) -> [Int]? {
    let parts = argument.split(separator: ",")
    let values = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, values.count == parts.count, values.allSatisfy({ $0 >= minimum }) else { return nil }
    return values
}

/// `--budgets 0,32,128`: comma-separated non-negative thinking budgets.
struct BudgetList: ExpressibleByArgument {
    let values: [Int]

    init(_ values: [Int]) { self.values = values }

    init?(argument: String) {
        guard let budgets = integerList(argument, atLeast: 0) else { return nil }
        values = budgets
    }

    var defaultValueDescription: String { values.map(String.init).joined(separator: ",") }
}

/// `--batch 1,16,64`, `--slots 1,16`: comma-separated positive sizes.
struct SizeList: ExpressibleByArgument {
    let values: [Int]

    init(_ values: [Int]) { self.values = values }

    init?(argument: String) {
        guard let sizes = integerList(argument, atLeast: 1) else { return nil }
        values = sizes
    }

    var defaultValueDescription: String { values.map(String.init).joined(separator: ",") }
}

/// `--budget-tags default` or `--budget-tags 0,64,128`: the thinking budgets a model is trained to
/// read in its prompt (`BudgetTag`); `none` for a model that reads none.
struct BudgetTagList: ExpressibleByArgument {
    let levels: [Int]

    init?(argument: String) {
        switch argument {
        case "none": levels = []
        case "default": levels = BudgetTag.defaultLevels
        default:
            guard let list = BudgetList(argument: argument), Set(list.values).count == list.values.count else { return nil }
            levels = list.values
        }
    }

    static let help = ArgumentHelp(
        "Thinking budgets the model learns to read in its prompt: each example is shown one (a last line `budget: N`) with its thinking ended there, and generation shows the level of the budget it runs at. `default` is \(BudgetTag.defaultLevels.map(String.init).joined(separator: ",")); `none` turns it off. Default: a fresh model reads none, --model keeps its own.",
        valueName: "default|none|N,N,…")
}

/// `--strategies single,vote:8`: comma-separated test-time strategies.
struct StrategyList: ExpressibleByArgument {
    let names: [String]

    init(_ names: [String]) { self.names = names }

    init?(argument: String) {
        let names = argument.split(separator: ",").map(String.init)
        guard !names.isEmpty, names.allSatisfy({ (try? StrategyParser.parse($0)) != nil }) else { return nil }
        self.names = names
    }

    var defaultValueDescription: String { names.joined(separator: ",") }
}

extension Countdown.SearchOrder {
    /// `task` with its worked solutions searched in this order: Countdown takes any order, other
    /// tasks only the listed one.
    func apply(to task: any ReasoningTask) throws -> any ReasoningTask {
        if task is Countdown { return Countdown(searchOrder: self) }
        guard self == .listed else { throw ValidationError("--search-order \(rawValue) applies to countdown only") }
        return task
    }

    static let help = ArgumentHelp("Countdown's worked solutions: search the numbers as listed, shuffled (the trace restates them in a random order first, a choice RL can learn), or shuffled-operations (the order of + - * / too).")
}

/// `--precision`: how a model loaded to decode holds its matrices.
struct PrecisionOption: ParsableArguments {
    enum Choice: String, ExpressibleByArgument, CaseIterable {
        case auto, float32, bfloat16
        case bfloat16Dot = "bfloat16-dot"
    }

    @Option(help: "Matrices in float32 or bfloat16 (half the memory and bytes read per token; the model can then only decode); bfloat16-dot also rounds the activations to bfloat16 for the CPU's bfloat16 dot products (AVX512-BF16; elsewhere the same rounded values, widened); auto picks bfloat16 above 64M parameters.")
    var precision: Choice = .auto

    /// The model at `path`, its matrices held as chosen.
    func load(_ path: String) throws -> Transformer {
        let chosen: WeightPrecision = switch precision {
        case .auto: WeightPrecision.automatic(for: try Checkpoint.loadConfig(try Checkpoint.resolve(path)))
        case .float32: .float32
        case .bfloat16: .bfloat16
        case .bfloat16Dot: .bfloat16Dot
        }
        return try Checkpoint.loadModel(path, precision: chosen)
    }
}

extension MatmulPrecision: ExpressibleByArgument {
    static let help = ArgumentHelp("Training matrix products: float32, or bfloat16 (operands rounded to bfloat16, sums in float32: mixed precision, on the CPU's bfloat16 dot products where it has AVX512-BF16: 1.45× float32 measured on an AMD Zen 4, 0.8× on an Intel Emerald Rapids, whose float32 FMAs are as fast; elsewhere the same rounding, no faster).")
}
