/// The arithmetic of the training GEMM (`Gemm.multiply`): float32 throughout, or both operands
/// rounded to bfloat16 with the sums kept in float32 — mixed-precision training's matrix
/// products, which run as the CPU's bfloat16 dot products where it has AVX512-BF16 (twice the
/// products per instruction) and as the float32 product of the rounded values elsewhere.
public enum MatmulPrecision: String, Codable, Sendable, CaseIterable {
    case float32
    case bfloat16
}
