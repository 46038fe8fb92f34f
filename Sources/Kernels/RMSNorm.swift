/// Root-mean-square normalisation of rows: `y = x · rstd · w` with `rstd = 1/sqrt(mean(x²) + eps)`.
public enum RMSNorm {
    /// Normalises `rows` rows of width `dim`; stores each row's `rstd` when `rstd` is given.
    @inlinable
    public static func forward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                               rstd: UnsafeMutablePointer<Float>?, rows: Int, dim: Int, eps: Float) {
        Parallel.forEach(min(rows, Parallel.threadCount)) { part in
            let (r0, r1) = Partition.range(part, of: min(rows, Parallel.threadCount), total: rows)
            for r in r0..<r1 {
                let xr = x + r &* dim, yr = out + r &* dim
                let s = 1 / (Vector.sumOfSquares(xr, dim) / Float(dim) + eps).squareRoot()
                rstd?[r] = s
                for i in 0..<dim { yr[i] = xr[i] * s * weight[i] }
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
                let xr = x + r &* dim, gr = dout + r &* dim, dxr = dx + r &* dim
                let s = rstd[r]
                var proj: Float = 0
                for i in 0..<dim { proj += gr[i] * weight[i] * xr[i] }
                let c = proj * s * s * s / Float(dim)
                for i in 0..<dim { dxr[i] += gr[i] * weight[i] * s - xr[i] * c }
            }
        }
        for r in 0..<rows {
            let xr = x + r &* dim, gr = dout + r &* dim
            let s = rstd[r]
            for i in 0..<dim { dweight[i] += gr[i] * xr[i] * s }
        }
    }
}
