import CPrefetch

/// Attention of one new position over a KV cache, for the query heads that share one KV head.
///
/// Keys and values are bfloat16 (`BFloat16`, groups of sixteen). Keys are stored in blocks of
/// sixteen positions, each `headDim` groups of one dimension's sixteen positions, so sixteen
/// positions' scores are one multiply-add per dimension over one contiguous block; each key and
/// value is read once for all the heads of the group. Arithmetic is in `Float`.
/// The arithmetic of a row depends only on its own queries and cache, never on the batch.
public enum CachedAttention {
    /// `out[h]` = softmax(scale · q[h] · K) · V for the `group` heads whose queries are consecutive
    /// in `queries` (`headDim` each), over `count` cached positions. `keys` holds blocks of
    /// `headDim` groups; `values` one row of `BFloat16.rowBytes(headDim)` bytes per position.
    /// `scores` is scratch for `group × keyRowLength` floats (`keyRowLength` ≥ `count`, a
    /// multiple of 16).
    public static func attend(queries: UnsafePointer<Float>, group: Int, headDim hd: Int, scale: Float,
                              keys: UnsafeRawPointer, keyRowLength: Int, values: UnsafeRawPointer,
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
                var a0 = SIMD8<Float>(), b0 = SIMD8<Float>(), a1 = SIMD8<Float>(), b1 = SIMD8<Float>()
                let block = keys + j &* hd &* 2
                for d in 0..<hd {
                    let (low, high) = BFloat16.widen(block + d &* 32)
                    let x0 = SIMD8<Float>(repeating: q0[d]), x1 = SIMD8<Float>(repeating: q1[d])
                    a0.addProduct(x0, low)
                    b0.addProduct(x0, high)
                    a1.addProduct(x1, low)
                    b1.addProduct(x1, high)
                }
                let r0 = UnsafeMutableRawPointer(s0 + j)
                r0.storeBytes(of: a0 * scale, as: SIMD8<Float>.self)
                r0.storeBytes(of: b0 * scale, toByteOffset: 32, as: SIMD8<Float>.self)
                if pair {
                    let r1 = UnsafeMutableRawPointer(s1 + j)
                    r1.storeBytes(of: a1 * scale, as: SIMD8<Float>.self)
                    r1.storeBytes(of: b1 * scale, toByteOffset: 32, as: SIMD8<Float>.self)
                }
                j &+= 16
            }
            h &+= pair ? 2 : 1
        }
        for h in 0..<group { Softmax.inPlace(scores + h &* keyRowLength, valid: n, width: n) }
        // Weighted values, in registers: up to 32 dimensions (two groups) at a time.
        let rowBytes = hd &* 2
        for h in 0..<group {
            let p = scores + h &* keyRowLength
            var c0 = 0
            while c0 < hd {
                let two = c0 &+ 16 < hd
                var o0 = SIMD8<Float>(), o1 = SIMD8<Float>(), o2 = SIMD8<Float>(), o3 = SIMD8<Float>()
                for j in 0..<n {
                    let v = values + (j &* rowBytes &+ c0 &* 2)
                    let w = SIMD8<Float>(repeating: p[j])
                    let (low, high) = BFloat16.widen(v)
                    o0.addProduct(w, low)
                    o1.addProduct(w, high)
                    if two {
                        let (low2, high2) = BFloat16.widen(v + 32)
                        o2.addProduct(w, low2)
                        o3.addProduct(w, high2)
                    }
                }
                let o = UnsafeMutableRawPointer(out + (h &* hd &+ c0))
                o.storeBytes(of: o0, as: SIMD8<Float>.self)
                o.storeBytes(of: o1, toByteOffset: 32, as: SIMD8<Float>.self)
                if two {
                    o.storeBytes(of: o2, toByteOffset: 64, as: SIMD8<Float>.self)
                    o.storeBytes(of: o3, toByteOffset: 96, as: SIMD8<Float>.self)
                }
                c0 &+= two ? 32 : 16
            }
        }
    }

    /// Asks for the keys and values of `count` cached positions of one KV head (laid out as
    /// `attend` reads them) on their way to the core, without waiting: called for the next job
    /// before attending in this one, so that a batch's caches, too large for the L2 together,
    /// arrive while the current one computes instead of one cache line at a time when read.
    @inline(__always)
    public static func prefetch(keys: UnsafeRawPointer, values: UnsafeRawPointer, headDim hd: Int, count n: Int) {
        let keyBytes = ((n &+ 15) >> 4) &* hd &* 32, valueBytes = n &* BFloat16.rowBytes(hd)
        var offset = 0
        while offset < keyBytes { strawberry_prefetch(keys + offset); offset &+= 64 }
        offset = 0
        while offset < valueBytes { strawberry_prefetch(values + offset); offset &+= 64 }
    }

    /// Heads that are not a whole number of groups of sixteen (test models): one position and one
    /// head at a time.
    static func attendNarrow(queries: UnsafePointer<Float>, group: Int, headDim hd: Int, scale: Float,
                             keys: UnsafeRawPointer, keyRowLength: Int, values: UnsafeRawPointer,
                             count n: Int, scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let rowBytes = BFloat16.rowBytes(hd)
        for h in 0..<group {
            let q = queries + h &* hd, s = scores + h &* keyRowLength
            for j in 0..<n {
                let block = keys + (j >> 4) &* hd &* 32
                var dot: Float = 0
                for d in 0..<hd { dot += q[d] * BFloat16.load(block + d &* 32, value: j & 15) }
                s[j] = scale * dot
            }
            Softmax.inPlace(s, valid: n, width: n)
            let o = out + h &* hd
            o.update(repeating: 0, count: hd)
            for j in 0..<n {
                let row = values + j &* rowBytes
                for d in 0..<hd { o[d] += s[j] * BFloat16.load(row + (d >> 4) &* 32, value: d & 15) }
            }
        }
    }
}
