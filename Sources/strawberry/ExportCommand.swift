import ArgumentParser
import Foundation
import Model

/// `strawberry export`: a model in a format other tools load.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a model for other tools: a Hugging Face LlamaForCausalLM folder, or GGUF files for llama.cpp.",
        discussion: """
        hf: config.json, model.safetensors, tokenizer.json, tokenizer_config.json (chat template).

        gguf: model-f32.gguf, model-f16.gguf and/or model-q8_0.gguf (llama architecture, qwen2 for a model with \
        q/k/v biases, qwen3 for one with q/k norms; the gpt2 vocabulary with its merges; the thinking chat template), and a Modelfile for Ollama \
        that uses the smallest of them.

        Both also write strawberry_probe.json; bench/interop/check_hf_export.sh and bench/interop/check_gguf_export.sh load the \
        export with transformers or llama.cpp and compare tokens, logits and greedy continuations with Strawberry's.
        """
    )

    @Argument(help: "Run folder or checkpoint directory.")
    var model: String

    /// What `export` writes.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case hf, gguf
    }

    /// GGUF precisions to write.
    enum Precisions: String, ExpressibleByArgument, CaseIterable {
        case f32, f16, q8_0, both, all

        var values: [GGUFExport.Precision] {
            switch self {
            case .f32: return [.f32]
            case .f16: return [.f16]
            case .q8_0: return [.q8_0]
            case .both: return [.f32, .f16]
            case .all: return [.f32, .f16, .q8_0]
            }
        }
    }

    @Option(help: "Format: hf or gguf.")
    var format = Format.hf

    @Option(help: "GGUF precision: f32, f16, q8_0, both (f32 and f16) or all.")
    var precision = Precisions.both

    @Option(help: "Output folder.")
    var out: String

    func run() throws {
        let loaded = try Checkpoint.loadModel(model)
        switch format {
        case .hf:
            try HuggingFaceExport.write(loaded, to: out)
            print("wrote \(out) (config.json, model.safetensors, tokenizer.json, tokenizer_config.json, generation_config.json, strawberry_probe.json)")
        case .gguf:
            let precisions = precision.values
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let name = URL(fileURLWithPath: model).lastPathComponent
            for p in precisions {
                try GGUFExport.write(loaded, to: "\(out)/model-\(p.rawValue).gguf", precision: p, name: name)
            }
            let smallest = "model-\(precisions.last!.rawValue).gguf"
            let modelfile = OllamaModelfile.text(gguf: smallest, vocabulary: loaded.vocabulary, contextLength: loaded.config.contextLength)
            try AtomicFile.write(Data(modelfile.utf8), to: "\(out)/Modelfile")
            try ExportProbe.write(loaded, to: out)
            print("wrote \(out) (\(precisions.map { "model-\($0.rawValue).gguf" }.joined(separator: ", ")), Modelfile, strawberry_probe.json)")
        }
    }
}
