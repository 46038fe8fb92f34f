import Foundation
import Kernels

/// A saved model: `config.json`, `model.safetensors` (Hugging Face tensor names, metadata
/// `{"format":"pt"}`) and, for training checkpoints, `optimizer.safetensors` (the two Adam moments)
/// and `state.json` (step, RNG state and whatever else the trainer needs to resume). A model with an
/// imported BPE vocabulary also carries its `tokenizer.json`.
///
/// A checkpoint directory is written under a temporary name and renamed into place, so a crash
/// leaves no half-written checkpoint. A run folder points at its newest checkpoint with a `latest`
/// file, itself replaced atomically.
public enum Checkpoint {
    public static let configFile = "config.json"
    public static let modelFile = "model.safetensors"
    public static let optimizerFile = "optimizer.safetensors"
    public static let stateFile = "state.json"
    public static let tokenizerFile = "tokenizer.json"

    /// Writes a checkpoint directory atomically; an existing one at `directory` is replaced.
    public static func save(model: Transformer, optimizer: AdamW? = nil, state: (some Encodable)? = nil,
                            to directory: String) throws(ModelError) {
        try model.requireFloat32Weights(to: "save a checkpoint")
        try requireFinite(model, in: directory)
        let fm = FileManager.default
        let temporary = directory + ".tmp"
        try? fm.removeItem(atPath: temporary)
        do { try fm.createDirectory(atPath: temporary, withIntermediateDirectories: true) } catch {
            throw .checkpoint("cannot create '\(temporary)': \(error.localizedDescription)")
        }
        try AtomicFile.write(try encode(model.config), to: temporary + "/" + configFile)
        let params = model.parameters
        try Safetensors.write(model.layout.tensors.map { t in
            Safetensors.Entry(name: t.name, shape: t.shape,
                              data: UnsafeBufferPointer(start: params.pointer + t.offset, count: t.count))
        }, to: temporary + "/" + modelFile)
        if let optimizer {
            try Safetensors.write([
                Safetensors.Entry(name: "adam.first_moment", shape: [optimizer.firstMoment.count],
                                  data: UnsafeBufferPointer(optimizer.firstMoment.buffer)),
                Safetensors.Entry(name: "adam.second_moment", shape: [optimizer.secondMoment.count],
                                  data: UnsafeBufferPointer(optimizer.secondMoment.buffer)),
            ], metadata: ["format": "pt", "adam_step": String(optimizer.step)], to: temporary + "/" + optimizerFile)
        }
        if let state { try AtomicFile.write(try encode(state), to: temporary + "/" + stateFile) }
        if let tokenizer = model.vocabulary.tokenizerJSON { try AtomicFile.write(tokenizer, to: temporary + "/" + tokenizerFile) }
        try? fm.removeItem(atPath: directory)
        guard rename(temporary, directory) == 0 else {
            throw .checkpoint("cannot move '\(temporary)' to '\(directory)': \(String(cString: strerror(errno)))")
        }
    }

    /// Saves checkpoint `step` inside a run folder, points `latest` at it and keeps the newest `keep`.
    @discardableResult
    public static func saveInRun(_ run: String, step: Int, model: Transformer, optimizer: AdamW?,
                                 state: (some Encodable)?, keep: Int = 2) throws(ModelError) -> String {
        let name = String(format: "step-%08d", step)
        let directory = run + "/checkpoints/" + name
        do { try FileManager.default.createDirectory(atPath: run + "/checkpoints", withIntermediateDirectories: true) } catch {
            throw .checkpoint("cannot create '\(run)/checkpoints': \(error.localizedDescription)")
        }
        try save(model: model, optimizer: optimizer, state: state, to: directory)
        try AtomicFile.write(Data(("checkpoints/" + name + "\n").utf8), to: run + "/latest")
        let all = ((try? FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints")) ?? [])
            .filter { $0.hasPrefix("step-") && !$0.hasSuffix(".tmp") }.sorted()
        for old in all.dropLast(max(keep, 1)) { try? FileManager.default.removeItem(atPath: run + "/checkpoints/" + old) }
        return directory
    }

    /// The checkpoint directory for `path`: the path itself when it holds a model, else the run
    /// folder's `latest` checkpoint.
    public static func resolve(_ path: String) throws(ModelError) -> String {
        let fm = FileManager.default
        if fm.fileExists(atPath: path + "/" + modelFile) { return path }
        if let text = try? String(contentsOfFile: path + "/latest", encoding: .utf8) {
            let directory = path + "/" + text.trimmingCharacters(in: .whitespacesAndNewlines)
            if fm.fileExists(atPath: directory + "/" + modelFile) { return directory }
            throw .checkpoint("'\(path)/latest' points at '\(directory)', which holds no \(modelFile)")
        }
        if !fm.fileExists(atPath: path) { throw .checkpoint("no model at '\(path)': the path does not exist") }
        throw .checkpoint("no model at '\(path)': expected \(modelFile) or a run folder with a 'latest' file")
    }

    public static func loadConfig(_ directory: String) throws(ModelError) -> ModelConfig {
        try decode(ModelConfig.self, from: directory + "/" + configFile)
    }

    /// Loads the model of a checkpoint or run folder. Every tensor's name and shape is checked
    /// against the config before anything is allocated, the data against its checksum, and the
    /// weights must be finite (a diverged run's are not). With `precision` bfloat16 the matrices
    /// are held only in bfloat16, each converted as soon as it is read: a model for inference.
    public static func loadModel(_ path: String, precision: WeightPrecision = .float32) throws(ModelError) -> Transformer {
        let directory = try resolve(path)
        let config = try loadConfig(directory)
        try config.validate()
        let layout = ParameterLayout(config: config)
        let file = try Safetensors.load(directory + "/" + modelFile)
        for t in layout.tensors { try file.check(t.name, shape: t.shape) }
        let expected = Set(layout.tensors.map(\.name))
        if let extra = file.tensors.keys.sorted().first(where: { !expected.contains($0) }) {
            throw .checkpoint("'\(file.path)' holds tensor '\(extra)', which this config does not have")
        }
        try config.checkFitsInMemory()
        let values = FloatBuffer(count: layout.totalCount)
        let regions = precision == .float32 ? [] : BFloat16Weights.regions(layout, config)
        var matrices: [Int: BFloat16Matrix] = [:]
        for t in layout.tensors {
            try file.read(t.name, shape: t.shape, into: values.pointer + t.offset)
            try requireFinite(values, t.offset..<(t.offset + t.count), layout, in: directory)
            // A matrix whose last tensor this was goes to bfloat16 and leaves float32.
            for r in regions where r.end == t.offset + t.count {
                matrices[r.offset] = BFloat16Matrix(values.pointer + r.offset, n: r.rows, k: r.columns, ld: r.columns)
                values.release(r.offset..<r.end)
            }
        }
        return try Transformer(config: config, parameters: values, vocabulary: try loadVocabulary(directory),
                               bfloat16: regions.isEmpty ? nil : BFloat16Weights(layout, config, matrices: matrices,
                                                                                      roundsActivations: precision == .bfloat16Dot))
    }

    /// Throws, naming the first tensor with a NaN or infinity, unless every weight is finite.
    public static func requireFinite(_ model: Transformer, in directory: String) throws(ModelError) {
        try requireFinite(model.parameters, 0..<model.parameters.count, model.layout, in: directory)
    }

    static func requireFinite(_ values: FloatBuffer, _ range: Range<Int>, _ layout: ParameterLayout, in directory: String) throws(ModelError) {
        guard let found = Vector.firstNonFinite(values.pointer + range.lowerBound, range.count) else { return }
        let index = range.lowerBound + found
        let tensor = layout.tensors.first { ($0.offset..<($0.offset + $0.count)).contains(index) }
        throw .checkpoint("the weights for '\(directory)' are not finite (\(values[index]) in tensor '\(tensor?.name ?? "?")'): "
                          + "the run that made them diverged; use an earlier checkpoint, or train again with a lower --lr")
    }

    /// The vocabulary saved in a checkpoint directory: its `tokenizer.json`, else Strawberry's bytes.
    public static func loadVocabulary(_ directory: String) throws(ModelError) -> Vocabulary {
        let path = directory + "/" + tokenizerFile
        guard FileManager.default.fileExists(atPath: path) else { return .strawberry }
        return try Vocabulary(tokenizerJSON: try HuggingFaceImport.contents(path), source: path)
    }

    /// Restores the Adam moments and step saved beside a model.
    public static func loadOptimizer(_ directory: String, into optimizer: AdamW) throws(ModelError) {
        let file = try Safetensors.load(directory + "/" + optimizerFile)
        try file.read("adam.first_moment", shape: [optimizer.firstMoment.count], into: optimizer.firstMoment.pointer)
        try file.read("adam.second_moment", shape: [optimizer.secondMoment.count], into: optimizer.secondMoment.pointer)
        guard let step = file.metadata["adam_step"].flatMap(Int.init) else {
            throw .checkpoint("'\(file.path)' has no adam_step in its metadata")
        }
        optimizer.step = step
    }

    public static func loadState<State: Decodable>(_ type: State.Type, from directory: String) throws(ModelError) -> State {
        try decode(type, from: directory + "/" + stateFile)
    }

    static func encode(_ value: some Encodable) throws(ModelError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { return try encoder.encode(value) } catch { throw .checkpoint("cannot encode JSON: \(error)") }
    }

    static func decode<T: Decodable>(_ type: T.Type, from path: String) throws(ModelError) -> T {
        let data = try HuggingFaceImport.contents(path)
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw .checkpoint("'\(path)' is corrupt or from another version: \(error)")
        }
    }
}
