/// Attention of one new position over a KV cache, for the query heads that share one KV head.
///
/// Keys are stored in blocks of sixteen positions, each `headDim × 16` (dimension-major), so
/// sixteen positions' scores are one multiply-add per dimension over one contiguous block, and each
/// key and value is read once for all the heads of the group.
/// The arithmetic of a row depends only on its own queries and cache, never on the batch.
public enum CachedAttention {
    /// `out[h]` = softmax(scale · q[h] · K) · V for the `group` heads whose queries are consecutive
    /// in `queries` (`headDim` each), over `count` cached positions. `keys` holds blocks of
    /// `headDim × 16` floats; `values` one row of `headDim` per position. `scores` is scratch for
    /// `group × keyRowLength` floats (`keyRowLength` ≥ `count`, a multiple of 16).
    public static func attend(queries: UnsafePointer<Float>, group: Int, headDim hd: Int, scale: Float,
                              keys: UnsafePointer<Float>, keyRowLength: Int, values: UnsafePointer<Float>,
                              count n: Int, scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        if hd % 16 != 0 {
            return attendNarrow(queries: queries, group: group, headDim: hd, scale: scale, keys: keys, keyRowLength: keyRowLength,
                                values: values, count: n, scores: scores, out: out)
        }
        // Scores, sixteen positions at a time, two heads at a time.
        var h = 0
        while h < group {
            let pair = h &+ 1 < group
            let q0 = queries + h &* hd, q1 = queries + (pair ? h &+ 1 : h) &* hd
            let s0 = scores + h &* keyRowLength, s1 = scores + (pair ? h &+ 1 : h) &* keyRowLength
            var j = 0
            while j < n {
                var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
                let block = UnsafeRawPointer(keys + j &* hd)
                for d in 0..<hd {
                    let k = block.loadUnaligned(fromByteOffset: d &* 64, as: SIMD16<Float>.self)
                    a0.addProduct(SIMD16(repeating: q0[d]), k)
                    a1.addProduct(SIMD16(repeating: q1[d]), k)
                }
                UnsafeMutableRawPointer(s0 + j).storeBytes(of: a0 * scale, as: SIMD16<Float>.self)
                if pair { UnsafeMutableRawPointer(s1 + j).storeBytes(of: a1 * scale, as: SIMD16<Float>.self) }
                j &+= 16
            }
            h &+= pair ? 2 : 1
        }
        for h in 0..<group { Softmax.inPlace(scores + h &* keyRowLength, valid: n, width: n) }
        // Weighted values, in registers: up to 64 dimensions at a time.
        for h in 0..<group {
            let p = scores + h &* keyRowLength
            var c0 = 0
            while c0 < hd {
                let width = min(64, hd &- c0)
                var o0 = SIMD16<Float>(), o1 = SIMD16<Float>(), o2 = SIMD16<Float>(), o3 = SIMD16<Float>()
                for j in 0..<n {
                    let v = UnsafeRawPointer(values + (j &* hd &+ c0))
                    let w = SIMD16<Float>(repeating: p[j])
                    o0.addProduct(w, v.loadUnaligned(as: SIMD16<Float>.self))
                    if width > 16 { o1.addProduct(w, v.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)) }
                    if width > 32 { o2.addProduct(w, v.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self)) }
                    if width > 48 { o3.addProduct(w, v.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self)) }
                }
                let o = UnsafeMutableRawPointer(out + (h &* hd &+ c0))
                o.storeBytes(of: o0, as: SIMD16<Float>.self)
                if width > 16 { o.storeBytes(of: o1, toByteOffset: 64, as: SIMD16<Float>.self) }
                if width > 32 { o.storeBytes(of: o2, toByteOffset: 128, as: SIMD16<Float>.self) }
                if width > 48 { o.storeBytes(of: o3, toByteOffset: 192, as: SIMD16<Float>.self) }
                c0 &+= 64
            }
        }
    }

    /// Heads narrower than sixteen (test models): one position and one head at a time.
    static func attendNarrow(queries: UnsafePointer<Float>, group: Int, headDim hd: Int, scale: Float,
                             keys: UnsafePointer<Float>, keyRowLength: Int, values: UnsafePointer<Float>,
                             count n: Int, scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        for h in 0..<group {
            let q = queries + h &* hd, s = scores + h &* keyRowLength
            for j in 0..<n {
                var dot: Float = 0
                for d in 0..<hd { dot += q[d] * keys[(j >> 4) &* hd &* 16 &+ d &* 16 &+ (j & 15)] }
                s[j] = scale * dot
            }
            Softmax.inPlace(s, valid: n, width: n)
            let o = out + h &* hd
            o.update(repeating: 0, count: hd)
            for j in 0..<n { Vector.axpy(s[j], values + j &* hd, o, hd) }
        }
    }
}
