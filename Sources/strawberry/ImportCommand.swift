import ArgumentParser
import Foundation
import Model

/// `strawberry import`: a Hugging Face Llama folder as a Strawberry checkpoint.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Read a Hugging Face LlamaForCausalLM folder (safetensors F32/F16/BF16, sharded or not) into a checkpoint.",
        discussion: """
        The vocabulary must be Strawberry's byte-level one (as `strawberry export --format hf` writes it);
        BPE tokenizers and other architectures (Qwen2, …) are refused with a message saying why.
        Example: strawberry import hf/first --out runs/first-again
        """
    )

    @Argument(help: "Hugging Face model folder.")
    var directory: String

    @Option(help: "Checkpoint folder to write.")
    var out: String

    func run() throws {
        let model = try HuggingFaceImport.load(directory)
        try Checkpoint.save(model: model, state: Optional<Int>.none, to: out)
        print("wrote \(out) (\(model.config.parameterCount.formatted()) parameters); use it as --model \(out)")
    }
}
