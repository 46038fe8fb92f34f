import Kernels

/// Multi-head causal self-attention with grouped key/value heads over a padded batch, written as
/// explicit forward and backward passes over the fused `[q | k | v]` rows.
///
/// For each sequence `b` and head `h` (using key/value group `h / (heads / kvHeads)`):
/// `P = softmax(scale · Q Kᵀ)` with a causal mask and `O = P V`. Both passes run one job per
/// (sequence, key/value group): the group's keys and values are prepared once for its heads, and
/// in the backward pass the shared key and value gradients have a single writer.
///
/// The probabilities take `batch × heads × length²` floats a layer — as much as every other
/// activation at a 512-token context, far more at longer ones. Given a buffer for them, the forward
/// pass keeps them for the backward; without one it computes them a block of rows at a time and the
/// backward pass computes each head's again (in the same operations, so the same bits), which
/// costs the scores' product and softmax a second time.
struct CausalAttention {
    let batchSize: Int, length: Int, heads: Int, kvHeads: Int, headDim: Int

    var qkvStride: Int { (heads + 2 * kvHeads) * headDim }
    var outStride: Int { heads * headDim }
    var scale: Float { 1 / Float(headDim).squareRoot() }

    @inline(__always) func keyOffset(_ g: Int) -> Int { heads &* headDim &+ g &* headDim }
    @inline(__always) func valueOffset(_ g: Int) -> Int { (heads &+ kvHeads) &* headDim &+ g &* headDim }

    /// Rows per causal block: scores are computed only for blocks on or below the diagonal.
    static let block = 64

    /// Widths rounded up to whole SIMD16 vectors: the unpacked products read B's rows that wide.
    var paddedDim: Int { (headDim &+ 15) & ~15 }
    var paddedLength: Int { (length &+ 15) & ~15 }

    /// One head's `length × headDim` rows (`stride` apart) copied, times `scale`, into rows
    /// `paddedDim` wide, zero past `headDim`.
    func copyRows(_ src: UnsafePointer<Float>, stride: Int, scale: Float = 1, into dst: UnsafeMutablePointer<Float>) {
        let width = paddedDim
        dst.update(repeating: 0, count: length &* width)
        for t in 0..<length {
            let from = src + t &* stride, to = dst + t &* width
            for d in 0..<headDim { to[d] = scale * from[d] }
        }
    }

    /// One head's `length × headDim` rows (`stride` apart) transposed into `headDim` rows
    /// `paddedLength` wide, zero past `length`.
    func transposeRows(_ src: UnsafePointer<Float>, stride: Int, into dst: UnsafeMutablePointer<Float>) {
        let width = paddedLength
        dst.update(repeating: 0, count: headDim &* width)
        for t in 0..<length {
            let from = src + t &* stride
            for d in 0..<headDim { dst[d &* width &+ t] = from[d] }
        }
    }

    // Every product runs on the operands where they lie (`Gemm.multiplyUnpacked`, after copying
    // the head's rows padded or transposed), as packing them would cost as much as the products. A
    // block of at most `Gemm.smallRows` rows (a length just past a block) keeps `Gemm.multiply`'s
    // products for few rows, so the results are the bits the packed products gave.

    /// `C[m, n] = alpha · A · Bᵀ` for a block of `m` head rows against the first `n` rows of a group's
    /// keys or values (scores, or their gradient): from the copies — A's rows padded (already
    /// scaled), B transposed — or, for few rows, from the originals `a` (`lda` apart) and `b`.
    func timesTransposed(m: Int, n: Int, paddedA: UnsafePointer<Float>, transposedB: UnsafePointer<Float>,
                         a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, alpha: Float = 1, c: UnsafeMutablePointer<Float>) {
        if m > Gemm.smallRows {
            Gemm.multiplyUnpacked(m: m, n: n, k: headDim, a: paddedA, lda: paddedDim, b: transposedB, ldb: paddedLength, c: c, ldc: length)
        } else {
            Gemm.multiply(m: m, n: n, k: headDim, a: a, lda: lda, b: b, ldb: qkvStride, transposeB: true, c: c, ldc: length,
                          alpha: alpha, parallel: false)
        }
    }

    /// `C[m, headDim] = W · B` for a block of `m` rows of weights over the first `k` positions (the
    /// probabilities, or the scores' gradient) times a group's values or keys: from B's padded copy
    /// or, for few rows, from its rows `b` in place.
    func timesRows(m: Int, k: Int, weights: UnsafePointer<Float>, paddedB: UnsafePointer<Float>, b: UnsafePointer<Float>,
                   c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m > Gemm.smallRows {
            Gemm.multiplyUnpacked(m: m, n: headDim, k: k, a: weights, lda: length, b: paddedB, ldb: paddedDim, c: c, ldc: ldc)
        } else {
            Gemm.multiply(m: m, n: headDim, k: k, a: weights, lda: length, b: b, ldb: qkvStride, c: c, ldc: ldc, parallel: false)
        }
    }

    /// Rows `i0..<i1` of head `h`'s probabilities into `p` (`length` apart; only the first `i1`
    /// columns written, the causal ones nonzero): the scores from the head's scaled, padded query
    /// rows and its group's transposed keys, then each row's softmax.
    func probabilities(rows i0: Int, _ i1: Int, head h: Int, group g: Int, qkv rows: UnsafePointer<Float>,
                       scaledQueries: UnsafePointer<Float>, keysT: UnsafePointer<Float>, into p: UnsafeMutablePointer<Float>) {
        timesTransposed(m: i1 &- i0, n: i1, paddedA: scaledQueries + i0 &* paddedDim, transposedB: keysT,
                        a: rows + (i0 &* qkvStride &+ h &* headDim), lda: qkvStride, b: rows + keyOffset(g), alpha: scale, c: p)
        for i in i0..<i1 { Softmax.inPlace(p + (i &- i0) &* length, valid: i &+ 1, width: length) }
    }

    /// `out` = the heads' outputs; `keep`, when given (`batch × heads × length²` floats), receives the
    /// probabilities for `backward`.
    func forward(qkv: UnsafePointer<Float>, keep probs: UnsafeMutablePointer<Float>?, out: UnsafeMutablePointer<Float>) {
        let T = length, group = heads / kvHeads, bs = Self.block, dp = paddedDim, tp = paddedLength
        Parallel.forEach(batchSize * kvHeads) { job in
            let b = job / kvHeads, g = job % kvHeads
            let rows = qkv + b &* T &* qkvStride
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: headDim &* tp &+ 2 &* T &* dp &+ (probs == nil ? bs &* T : 0))
            defer { scratch.deallocate() }
            let keysT = scratch, values = scratch + headDim &* tp, queries = values + T &* dp, block = queries + T &* dp
            transposeRows(rows + keyOffset(g), stride: qkvStride, into: keysT)
            copyRows(rows + valueOffset(g), stride: qkvStride, into: values)
            for h in (g &* group)..<((g &+ 1) &* group) {
                let o = out + (b &* T &* outStride &+ h &* headDim)
                copyRows(rows + h &* headDim, stride: qkvStride, scale: scale, into: queries)
                for i0 in stride(from: 0, to: T, by: bs) {
                    let i1 = min(i0 &+ bs, T)
                    let p = probs.map { $0 + ((b &* heads &+ h) &* T &+ i0) &* T } ?? block
                    probabilities(rows: i0, i1, head: h, group: g, qkv: rows, scaledQueries: queries, keysT: keysT, into: p)
                    timesRows(m: i1 &- i0, k: i1, weights: p, paddedB: values, b: rows + valueOffset(g), c: o + i0 &* outStride,
                              ldc: outStride)
                }
            }
        }
    }

    /// Writes the gradient with respect to the (rotated) `[q | k | v]` rows into `dqkv`; `probs` are
    /// those `forward` kept, or nil to compute them again.
    func backward(qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>?, dOut: UnsafePointer<Float>, dqkv: UnsafeMutablePointer<Float>) {
        let T = length, group = heads / kvHeads, bs = Self.block, dp = paddedDim, tp = paddedLength
        let recompute = probs == nil
        Parallel.forEach(batchSize * kvHeads) { job in
            let b = job / kvHeads, g = job % kvHeads
            let rows = qkv + b &* T &* qkvStride
            let dRows = dqkv + b &* T &* qkvStride
            let k = rows + keyOffset(g), v = rows + valueOffset(g)
            let dK = dRows + keyOffset(g), dV = dRows + valueOffset(g)
            // The scores' gradient and, computed again, the head's probabilities: T × T each.
            let dS = UnsafeMutablePointer<Float>.allocate(capacity: (recompute ? 2 : 1) &* T &* T), computed = dS + T &* T
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: (recompute ? 2 : 1) &* (headDim &* tp &+ T &* dp) &+ 2 &* T &* dp)
            defer { dS.deallocate(); scratch.deallocate() }
            let valuesT = scratch, keys = valuesT + headDim &* tp, queries = keys + T &* dp, dOutputs = queries + T &* dp
            let keysT = dOutputs + T &* dp, scaledQueries = keysT + headDim &* tp
            transposeRows(v, stride: qkvStride, into: valuesT)
            copyRows(k, stride: qkvStride, into: keys)
            if recompute { transposeRows(k, stride: qkvStride, into: keysT) }
            for h in (g &* group)..<((g &+ 1) &* group) {
                let first = h == g &* group
                let p = probs.map { $0 + (b &* heads &+ h) &* T &* T } ?? UnsafePointer(computed)
                let dO = dOut + (b &* T &* outStride &+ h &* headDim)
                let q = rows + h &* headDim, dQ = dRows + h &* headDim
                copyRows(q, stride: qkvStride, into: queries)
                if recompute { copyRows(q, stride: qkvStride, scale: scale, into: scaledQueries) }
                copyRows(dO, stride: outStride, into: dOutputs)
                for i0 in stride(from: 0, to: T, by: bs) {
                    let i1 = min(i0 &+ bs, T), m = i1 &- i0
                    if recompute {
                        probabilities(rows: i0, i1, head: h, group: g, qkv: rows, scaledQueries: scaledQueries, keysT: keysT,
                                      into: computed + i0 &* T)
                    }
                    // dP = dO · Vᵀ, then dS = P ⊙ (dP − rowsum(dP ⊙ P)) · scale on causal entries.
                    timesTransposed(m: m, n: i1, paddedA: dOutputs + i0 &* dp, transposedB: valuesT, a: dO + i0 &* outStride,
                                    lda: outStride, b: v, c: dS + i0 &* T)
                    for i in i0..<i1 {
                        let pr = p + i &* T, dr = dS + i &* T
                        let valid = i &+ 1
                        let dotValue = Vector.dot(pr, dr, valid)
                        for j in 0..<valid { dr[j] = pr[j] * (dr[j] - dotValue) * scale }
                        (dr + valid).update(repeating: 0, count: T &- valid)
                    }
                    // dQ = dS · K
                    timesRows(m: m, k: i1, weights: dS + i0 &* T, paddedB: keys, b: k, c: dQ + i0 &* qkvStride, ldc: qkvStride)
                }
                for j0 in stride(from: 0, to: T, by: bs) {
                    let j1 = min(j0 &+ bs, T)
                    // Only rows i ≥ j0 attend to keys j0..<j1: dV += Pᵀ · dO, dK += dSᵀ · Q.
                    Gemm.multiplyUnpacked(m: j1 &- j0, n: headDim, k: T &- j0, a: p + (j0 &* T &+ j0), lda: T, transposeA: true,
                                          b: dOutputs + j0 &* dp, ldb: dp, c: dV + j0 &* qkvStride, ldc: qkvStride, accumulate: !first)
                    Gemm.multiplyUnpacked(m: j1 &- j0, n: headDim, k: T &- j0, a: dS + (j0 &* T &+ j0), lda: T, transposeA: true,
                                          b: queries + j0 &* dp, ldb: dp, c: dK + j0 &* qkvStride, ldc: qkvStride, accumulate: !first)
                }
            }
        }
    }
}
