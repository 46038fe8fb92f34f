import Kernels

/// How a model's matrices are held for inference: float32 as trained, or bfloat16, which halves
/// the memory and the bytes read per decoded token of a model too large for the caches — its
/// values widened to multiply float32 activations, or (`bfloat16Dot`) met by activations rounded
/// to bfloat16 too, for the CPU's bfloat16 dot products where it has AVX512-BF16.
public enum WeightPrecision: String, Sendable, CaseIterable, CustomStringConvertible {
    case float32
    case bfloat16
    case bfloat16Dot = "bfloat16-dot"

    /// Bytes each weight takes in this precision.
    public var bytes: Int { self == .float32 ? 4 : 2 }

    public var description: String {
        switch self {
        case .float32, .bfloat16: rawValue
        case .bfloat16Dot: "bfloat16, activations rounded to bfloat16 (\(CPU.hasAVX512BF16 ? "vdpbf16ps" : "no AVX512-BF16: widened"))"
        }
    }

    /// bfloat16 for a model of more than `PackedWeights.limit` parameters (whose decoding is bound
    /// by reading its weights), float32 otherwise (the numbers it was trained with).
    public static func automatic(for config: ModelConfig) -> WeightPrecision {
        config.parameterCount > PackedWeights.limit ? .bfloat16 : .float32
    }
}
