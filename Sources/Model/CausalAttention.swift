import Kernels

/// Multi-head causal self-attention with grouped key/value heads over a padded batch, written as
/// explicit forward and backward passes over the fused `[q | k | v]` rows.
///
/// For each sequence `b` and head `h` (using key/value group `h / (heads / kvHeads)`):
/// `P = softmax(scale · Q Kᵀ)` with a causal mask and `O = P V`. The backward pass runs one job
/// per (sequence, key/value group) so the shared key and value gradients have a single writer.
struct CausalAttention {
    let batchSize: Int, length: Int, heads: Int, kvHeads: Int, headDim: Int

    var qkvStride: Int { (heads + 2 * kvHeads) * headDim }
    var outStride: Int { heads * headDim }
    var scale: Float { 1 / Float(headDim).squareRoot() }

    @inline(__always) func keyOffset(_ g: Int) -> Int { heads &* headDim &+ g &* headDim }
    @inline(__always) func valueOffset(_ g: Int) -> Int { (heads &+ kvHeads) &* headDim &+ g &* headDim }

    func forward(qkv: UnsafePointer<Float>, probs: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let T = length, group = heads / kvHeads
        Parallel.forEach(batchSize * heads) { job in
            let b = job / heads, h = job % heads, g = h / group
            let rows = qkv + b &* T &* qkvStride
            let p = probs + job &* T &* T
            Gemm.multiply(m: T, n: T, k: headDim, a: rows + h &* headDim, lda: qkvStride,
                          b: rows + keyOffset(g), ldb: qkvStride, transposeB: true,
                          c: p, ldc: T, alpha: scale, parallel: false)
            for i in 0..<T { Softmax.inPlace(p + i &* T, valid: i &+ 1, width: T) }
            Gemm.multiply(m: T, n: headDim, k: T, a: p, lda: T, b: rows + valueOffset(g), ldb: qkvStride,
                          c: out + (b &* T &* outStride &+ h &* headDim), ldc: outStride, parallel: false)
        }
    }

    /// Writes the gradient with respect to the (rotated) `[q | k | v]` rows into `dqkv`.
    func backward(qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                  dqkv: UnsafeMutablePointer<Float>) {
        let T = length, group = heads / kvHeads
        Parallel.forEach(batchSize * kvHeads) { job in
            let b = job / kvHeads, g = job % kvHeads
            let rows = qkv + b &* T &* qkvStride
            let dRows = dqkv + b &* T &* qkvStride
            let dP = UnsafeMutablePointer<Float>.allocate(capacity: T &* T)
            defer { dP.deallocate() }
            for h in (g &* group)..<((g &+ 1) &* group) {
                let first = h == g &* group
                let p = probs + (b &* heads &+ h) &* T &* T
                let dO = dOut + (b &* T &* outStride &+ h &* headDim)
                // dP = dO · Vᵀ ; dV += Pᵀ · dO
                Gemm.multiply(m: T, n: T, k: headDim, a: dO, lda: outStride, b: rows + valueOffset(g), ldb: qkvStride,
                              transposeB: true, c: dP, ldc: T, parallel: false)
                Gemm.multiply(m: T, n: headDim, k: T, a: p, lda: T, transposeA: true, b: dO, ldb: outStride,
                              c: dRows + valueOffset(g), ldc: qkvStride, accumulate: !first, parallel: false)
                // dS = P ⊙ (dP − rowsum(dP ⊙ P)) · scale, causal entries only.
                for i in 0..<T {
                    let pr = p + i &* T, dr = dP + i &* T
                    let valid = i &+ 1
                    let dotValue = Vector.dot(pr, dr, valid)
                    for j in 0..<valid { dr[j] = pr[j] * (dr[j] - dotValue) * scale }
                    if valid < T { (dr + valid).update(repeating: 0, count: T &- valid) }
                }
                // dQ = dS · K ; dK += dSᵀ · Q
                Gemm.multiply(m: T, n: headDim, k: T, a: dP, lda: T, b: rows + keyOffset(g), ldb: qkvStride,
                              c: dRows + h &* headDim, ldc: qkvStride, parallel: false)
                Gemm.multiply(m: T, n: headDim, k: T, a: dP, lda: T, transposeA: true, b: rows + h &* headDim,
                              ldb: qkvStride, c: dRows + keyOffset(g), ldc: qkvStride, accumulate: !first,
                              parallel: false)
            }
        }
    }
}
