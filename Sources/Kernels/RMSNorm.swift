/// Root-mean-square normalisation of rows: `y = x · rstd · w` with `rstd = 1/sqrt(mean(x²) + eps)`.
public enum RMSNorm {
    /// Normalises `rows` rows of width `dim`; stores each row's `rstd` when `rstd` is given. Fewer
    /// than 16,384 values (a decode step's rows) are done on the calling thread: handing them to
    /// the team costs more than they take.
    @inlinable
    public static func forward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                               rstd: UnsafeMutablePointer<Float>?, rows: Int, dim: Int, eps: Float) {
        let parts = rows &* dim >= 1 << 14 ? min(rows, Parallel.threadCount) : 1
        Parallel.forEach(parts) { part in
            let (r0, r1) = Partition.range(part, of: parts, total: rows)
            for r in r0..<r1 {
                let s = row(x + r &* dim, weight: weight, out: out + r &* dim, dim: dim, eps: eps)
                rstd?[r] = s
            }
        }
    }

    /// Adds the input gradient to `dx` and the weight gradient to `dweight`.
    @inlinable
    public static func backward(dout: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                rstd: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                dweight: UnsafeMutablePointer<Float>, rows: Int, dim: Int) {
        let parts = min(rows, Parallel.threadCount)
        Parallel.forEach(parts) { part in
            let (r0, r1) = Partition.range(part, of: parts, total: rows)
            for r in r0..<r1 {
                rowInputGradient(dout: dout + r &* dim, x: x + r &* dim, weight: weight, rstd: rstd[r], dx: dx + r &* dim,
                                 dim: dim, accumulate: true)
            }
        }
        for r in 0..<rows { addRowWeightGradient(dout: dout + r &* dim, x: x + r &* dim, rstd: rstd[r], dweight: dweight, dim: dim) }
    }

    /// One row: `out = x · rstd · weight`, returning `rstd`. `out` may be `x`.
    @inlinable @inline(__always)
    public static func row(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                           dim: Int, eps: Float) -> Float {
        let s = 1 / (Vector.sumOfSquares(x, dim) / Float(dim) + eps).squareRoot()
        for i in 0..<dim { out[i] = x[i] * s * weight[i] }
        return s
    }

    /// One row's input gradient from the output's, added to `dx` or written there; `dx` may be
    /// `dout` when writing.
    @inlinable @inline(__always)
    public static func rowInputGradient(dout: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                        rstd s: Float, dx: UnsafeMutablePointer<Float>, dim: Int, accumulate: Bool) {
        var projection: Float = 0
        for i in 0..<dim { projection += dout[i] * weight[i] * x[i] }
        let c = projection * s * s * s / Float(dim)
        if accumulate {
            for i in 0..<dim { dx[i] += dout[i] * weight[i] * s - x[i] * c }
        } else {
            for i in 0..<dim { dx[i] = dout[i] * weight[i] * s - x[i] * c }
        }
    }

    /// Adds one row's weight gradient to `dweight`.
    @inlinable @inline(__always)
    public static func addRowWeightGradient(dout: UnsafePointer<Float>, x: UnsafePointer<Float>, rstd s: Float,
                                            dweight: UnsafeMutablePointer<Float>, dim: Int) {
        for i in 0..<dim { dweight[i] += dout[i] * x[i] * s }
    }
}
