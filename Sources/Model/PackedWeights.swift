import Kernels

/// A model's linear layers packed for the inference product, made once for a `KVCache` (a decode
/// batch) and used by every step of it. Models of more than `limit` parameters are not packed
/// (the copy would double their memory) and use `DotGemm` instead.
final class PackedWeights: @unchecked Sendable {
    /// Parameters above which the weights are read in place rather than packed.
    static let limit = 64 << 20

    let qkv: [PackedMatrix], out: [PackedMatrix], gateUp: [PackedMatrix], down: [PackedMatrix]
    let lmHead: PackedMatrix

    init(_ model: Transformer) {
        let c = model.config
        func pack(_ offset: Int, _ n: Int, _ k: Int) -> PackedMatrix { PackedMatrix(model.weights(offset), n: n, k: k, ld: k) }
        qkv = model.layout.blocks.map { pack($0.qkv, c.qkvDim, c.dim) }
        out = model.layout.blocks.map { pack($0.out, c.dim, c.heads * c.headDim) }
        gateUp = model.layout.blocks.map { pack($0.gateUp, 2 * c.ffnDim, c.dim) }
        down = model.layout.blocks.map { pack($0.down, c.dim, c.ffnDim) }
        lmHead = pack(model.layout.lmHead, c.vocabSize, c.dim)
    }
}
