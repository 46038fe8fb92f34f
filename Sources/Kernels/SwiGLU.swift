/// The SwiGLU gate: `a = silu(g) · u` where each row of the input holds `[g | u]`.
public enum SwiGLU {
    /// `gateUp` is `rows × 2·width` (gate columns first); `out` is `rows × width`.
    @inlinable
    public static func forward(gateUp: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        let parts = min(rows, Parallel.threadCount)
        Parallel.forEach(parts) { part in
            let (r0, r1) = Partition.range(part, of: parts, total: rows)
            for r in r0..<r1 {
                let g = gateUp + r &* 2 &* width, u = g + width, o = out + r &* width
                var i = 0
                while i &+ 8 <= width {
                    let gv = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
                    let uv = UnsafeRawPointer(u + i).loadUnaligned(as: SIMD8<Float>.self)
                    let v = gv * FastMath.sigmoid(gv) * uv
                    UnsafeMutableRawPointer(o + i).storeBytes(of: v, as: SIMD8<Float>.self)
                    i &+= 8
                }
                while i < width {
                    let s = 1 / (1 + FastMath.exp(-g[i]))
                    o[i] = g[i] * s * u[i]
                    i &+= 1
                }
            }
        }
    }

    /// Writes `d[g | u]` given `dout`, overwriting `dGateUp`.
    @inlinable
    public static func backward(dout: UnsafePointer<Float>, gateUp: UnsafePointer<Float>,
                                dGateUp: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        let parts = min(rows, Parallel.threadCount)
        Parallel.forEach(parts) { part in
            let (r0, r1) = Partition.range(part, of: parts, total: rows)
            for r in r0..<r1 {
                let g = gateUp + r &* 2 &* width, u = g + width
                let dg = dGateUp + r &* 2 &* width, du = dg + width
                let d = dout + r &* width
                var i = 0
                while i &+ 8 <= width {
                    let gv = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
                    let uv = UnsafeRawPointer(u + i).loadUnaligned(as: SIMD8<Float>.self)
                    let dv = UnsafeRawPointer(d + i).loadUnaligned(as: SIMD8<Float>.self)
                    let s = FastMath.sigmoid(gv)
                    UnsafeMutableRawPointer(du + i).storeBytes(of: dv * gv * s, as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(dg + i).storeBytes(of: dv * uv * s * (1 + gv * (1 - s)), as: SIMD8<Float>.self)
                    i &+= 8
                }
                while i < width {
                    let s = 1 / (1 + FastMath.exp(-g[i]))
                    du[i] = d[i] * g[i] * s
                    dg[i] = d[i] * u[i] * s * (1 + g[i] * (1 - s))
                    i &+= 1
                }
            }
        }
    }
}
