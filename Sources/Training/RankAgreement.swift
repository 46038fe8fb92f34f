import Cluster
import Kernels
import Model

/// What every rank of a data-parallel run must share, so that ranks started with different
/// commands, data or starting weights refuse to train together instead of silently diverging.
public enum RankAgreement {
    /// Throws on every rank, naming what differs, unless all ranks have the same options (the
    /// command line after the program's path), the same tokenized data and the same starting weights.
    public static func require(_ communicator: any Communicator, arguments: [String], dataset: SFTDataset? = nil,
                               model: Transformer) throws(TrainingError) {
        guard communicator.size > 1 else { return }
        var settings = options(Array(arguments.dropFirst()))
        settings["model"] = fingerprint(of: model)
        if let dataset { settings["data"] = fingerprint(of: dataset) }
        do { try communicator.requireSameSettings(settings) } catch { throw .cluster(error) }
    }

    /// `["--lr": "0.001", "--resume": "set", "argument 1": "sft"]`: each option with the value after
    /// it, so that a mismatch names the option.
    public static func options(_ arguments: [String]) -> [String: String] {
        var named: [String: String] = [:]
        var i = 0, positional = 0
        while i < arguments.count {
            let a = arguments[i]
            if a.hasPrefix("--") {
                let hasValue = i + 1 < arguments.count && !arguments[i + 1].hasPrefix("--")
                named[a] = hasValue ? arguments[i + 1] : "set"
                i += hasValue ? 2 : 1
            } else {
                positional += 1
                named["argument \(positional)"] = a
                i += 1
            }
        }
        return named
    }

    /// `4,213,760 parameters, weights 3f2a…`.
    static func fingerprint(of model: Transformer) -> String {
        let hash = XXHash64.hex(UnsafeRawBufferPointer(model.parameters.buffer))
        return "\(model.config.parameterCount) parameters, weights \(hash)"
    }

    /// `3000 examples, tokens 9c1e…`.
    static func fingerprint(of dataset: SFTDataset) -> String {
        var tokens: [Int32] = []
        for e in dataset.examples { tokens += e.tokens; tokens.append(Int32(e.completionStart)) }
        return "\(dataset.examples.count) examples, tokens " + tokens.withUnsafeBytes { XXHash64.hex($0) }
    }
}
