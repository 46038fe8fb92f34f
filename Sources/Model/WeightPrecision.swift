/// How a model's matrices are held for inference: float32 as trained, or bfloat16, which halves
/// the memory and the bytes read per decoded token of a model too large for the caches.
public enum WeightPrecision: String, Sendable, CaseIterable {
    case float32
    case bfloat16

    /// Bytes each weight takes in this precision.
    public var bytes: Int { self == .float32 ? 4 : 2 }

    /// bfloat16 for a model of more than `PackedWeights.limit` parameters (whose decoding is bound
    /// by reading its weights), float32 otherwise (the numbers it was trained with).
    public static func automatic(for config: ModelConfig) -> WeightPrecision {
        config.parameterCount > PackedWeights.limit ? .bfloat16 : .float32
    }
}
