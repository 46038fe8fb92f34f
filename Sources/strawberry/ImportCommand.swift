import ArgumentParser
import Foundation
import Model

/// `strawberry import`: a Hugging Face Llama or Qwen2 folder as a Strawberry checkpoint.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Read a Hugging Face LlamaForCausalLM or Qwen2ForCausalLM folder into a checkpoint.",
        discussion: """
        Reads config.json, model.safetensors (or the shards of model.safetensors.index.json; F32, F16 or \
        BF16) and tokenizer.json (byte-level BPE, as Llama 3 and Qwen2 ship, or Strawberry's own byte \
        vocabulary). Tokens the model needs and the tokenizer lacks (<think>, </think>, <tool>, </tool>, \
        <result>, </result>) are added; the chat format (ChatML, Llama 3 headers, else Strawberry's \
        markers) is kept. The checkpoint then works everywhere a Strawberry model does: chat, eval, \
        serve, sft --model, rl, export --format hf. Unsupported variants (rope scaling, sliding windows, \
        MLP biases, other architectures) are refused with the reason.

        Example: strawberry import ~/models/Qwen2.5-0.5B --out runs/qwen
        """
    )

    @Argument(help: "Hugging Face model folder.")
    var directory: String

    @Option(help: "Checkpoint folder to write.")
    var out: String

    @Option(help: "Longest context to keep (the KV cache is sized by it); a model's longer one is cut to this.")
    var context = HuggingFaceImport.defaultMaxContext

    func run() throws {
        guard context > 0 else { throw ValidationError("--context must be positive") }
        let model = try HuggingFaceImport.load(directory, maxContext: context)
        try Checkpoint.save(model: model, state: Optional<Int>.none, to: out)
        let v = model.vocabulary
        print("wrote \(out) (\(model.config.parameterCount.formatted()) parameters, \(v.size) tokens, \(v.format.rawValue) chat format, context \(model.config.contextLength)); use it as --model \(out)")
    }
}
