/// RMS normalisation of each attention head's queries and keys inside fused `[q | k | v]` rows
/// (Qwen3's `q_norm` and `k_norm`): each `headDim` slice of the first `heads` heads (queries,
/// weight `qWeight`) and of the next `kvHeads` (keys, `kWeight`) becomes `x · rstd · w`, in place,
/// row by row as `RMSNorm` does it.
public enum HeadNorm {
    /// Normalises every row's query and key heads in place. With `saved` and `rstd`, first keeps
    /// what the backward pass needs: each row's `(heads + kvHeads) · headDim` values before the
    /// norm, and each head's `rstd`.
    public static func forward(qkv: UnsafeMutablePointer<Float>, stride: Int, rows: Int, heads: Int, kvHeads: Int,
                               headDim: Int, qWeight: UnsafePointer<Float>, kWeight: UnsafePointer<Float>, eps: Float,
                               saved: UnsafeMutablePointer<Float>? = nil, rstd: UnsafeMutablePointer<Float>? = nil) {
        let slices = heads &+ kvHeads, width = slices &* headDim
        let parts = rows &* width >= 1 << 14 ? min(rows, Parallel.threadCount) : 1
        Parallel.forEach(parts) { part in
            let (r0, r1) = Partition.range(part, of: parts, total: rows)
            for r in r0..<r1 {
                let row = qkv + r &* stride
                saved?.advanced(by: r &* width).update(from: row, count: width)
                for h in 0..<slices {
                    let x = row + h &* headDim
                    let s = RMSNorm.row(x, weight: h < heads ? qWeight : kWeight, out: x, dim: headDim, eps: eps)
                    rstd?[r &* slices &+ h] = s
                }
            }
        }
    }

    /// Replaces the gradient of every row's normalised queries and keys (in `dqkv`) by the
    /// gradient of the values before the norm, and adds the weights' gradients (summed over rows
    /// in order, so the result does not depend on the thread count).
    public static func backward(dqkv: UnsafeMutablePointer<Float>, stride: Int, rows: Int, heads: Int, kvHeads: Int,
                                headDim: Int, saved: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                qWeight: UnsafePointer<Float>, kWeight: UnsafePointer<Float>,
                                dqWeight: UnsafeMutablePointer<Float>, dkWeight: UnsafeMutablePointer<Float>) {
        let slices = heads &+ kvHeads, width = slices &* headDim
        for r in 0..<rows {
            for h in 0..<slices {
                let o = h &* headDim
                RMSNorm.addRowWeightGradient(dout: dqkv + (r &* stride &+ o), x: saved + (r &* width &+ o),
                                             rstd: rstd[r &* slices &+ h], dweight: h < heads ? dqWeight : dkWeight, dim: headDim)
            }
        }
        let parts = rows &* width >= 1 << 14 ? min(rows, Parallel.threadCount) : 1
        Parallel.forEach(parts) { part in
            let (r0, r1) = Partition.range(part, of: parts, total: rows)
            for r in r0..<r1 {
                for h in 0..<slices {
                    let g = dqkv + (r &* stride &+ h &* headDim)
                    RMSNorm.rowInputGradient(dout: g, x: saved + (r &* width &+ h &* headDim), weight: h < heads ? qWeight : kWeight,
                                             rstd: rstd[r &* slices &+ h], dx: g, dim: headDim, accumulate: false)
                }
            }
        }
    }
}
