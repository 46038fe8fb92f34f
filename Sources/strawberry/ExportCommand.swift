import ArgumentParser
import Foundation
import Model

/// `strawberry export`: a model in a format other tools load.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a model as a Hugging Face LlamaForCausalLM folder (config, safetensors, tokenizer, chat template).",
        discussion: "bench/check_hf_export.sh loads the folder with transformers and compares its logits with Strawberry's."
    )

    @Argument(help: "Run folder or checkpoint directory.")
    var model: String

    @Option(help: "Format: hf (GGUF is not implemented yet).")
    var format = "hf"

    @Option(help: "Output folder.")
    var out: String

    func run() throws {
        guard format == "hf" else { throw ValidationError("--format \(format) is not supported; use hf") }
        let loaded = try Checkpoint.loadModel(model)
        try HuggingFaceExport.write(loaded, to: out)
        print("wrote \(out) (config.json, model.safetensors, tokenizer.json, tokenizer_config.json, strawberry_probe.json)")
    }
}
