#if arch(x86_64)
import CBFloat16Dot
import CPrefetch
import RegisterTiles

/// `C (+)= A · Wᵀ` with both sides in bfloat16, by the CPU's bfloat16 dot products (`vdpbf16ps`,
/// AVX512-BF16; this target alone is compiled for Cooper Lake's instruction set, which has them, and
/// is called only where `CPU.hasAVX512BF16`). A's rows are rounded to bfloat16 in `BFloat16`'s
/// groups, one row `aRowBytes` apart; W is a `BFloat16Matrix`'s panels (`BFloat16Rows`).
///
/// Each output is summed in eight lanes, a group of sixteen values along `k` per step — lane i takes
/// word i of the group, values i and i + 8, from both sides — then lane with lane as in
/// `DotTiles.total`. The products of two bfloat16 values are exact in float32, so only that order
/// and the instruction's flushing of subnormals differ from the float32 product of the same
/// rounded values; and every tile sums the same way, so a row's outputs do not depend on the batch.
/// One 256-bit register a group: a 512-bit one would take two groups of a weight row, which lie
/// apart in the panel, and the shuffle to join them cost more than it saved.
public enum BFloat16DotTiles {
    /// Columns `j0..<j1` of C (`j0` a multiple of four) for the `m` rows of A, `groups` groups of
    /// sixteen along `k` on both sides.
    @inline(never)
    public static func columns(_ j0: Int, _ j1: Int, m: Int, groups: Int, a: UnsafeRawPointer, aRowBytes: Int, b: UnsafeRawPointer,
                               panelBytes: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        @inline(__always) func row(_ j: Int) -> UnsafeRawPointer {
            b + (j >> 2 &* panelBytes &+ (j & 3) &* BFloat16Rows.rowStride)
        }
        let fullRows = m & ~3
        var i = 0
        while i < fullRows {
            var j = j0
            while j &+ 4 <= j1 {
                tile4x4(groups, a + i &* aRowBytes, aRowBytes, row(j), c + (i &* ldc &+ j), ldc, accumulate)
                j &+= 4
            }
            while j < j1 {
                for r in 0..<4 { single(groups, a + (i &+ r) &* aRowBytes, row(j), c + ((i &+ r) &* ldc &+ j), accumulate) }
                j &+= 1
            }
            i &+= 4
        }
        while i < m {
            var j = j0
            while j &+ 4 <= j1 {
                tile1x4(groups, a + i &* aRowBytes, row(j), c + (i &* ldc &+ j), accumulate)
                j &+= 4
            }
            while j < j1 {
                single(groups, a + i &* aRowBytes, row(j), c + (i &* ldc &+ j), accumulate)
                j &+= 1
            }
            i &+= 1
        }
    }

    /// Calls `step(aOffset, bOffset)` for each group along `k`: its byte offsets in a row of A and
    /// in a weight row.
    @inline(__always)
    static func alongK(_ groups: Int, _ step: (Int, Int) -> Void) {
        var g = 0
        while g < groups {
            step(g &* 32, g &* BFloat16Rows.groupStride)
            g &+= 1
        }
    }

    @inline(__always)
    static func group(_ p: UnsafeRawPointer, _ offset: Int) -> SIMD16<Int16> {
        p.loadUnaligned(fromByteOffset: offset, as: SIMD16<Int16>.self)
    }

    /// Asks for the two cache lines of a panel's group `BFloat16Rows.prefetchDistance` bytes on.
    @inline(__always)
    static func prefetch(_ b: UnsafeRawPointer, _ offset: Int) {
        strawberry_prefetch(b + (offset &+ BFloat16Rows.prefetchDistance))
        strawberry_prefetch(b + (offset &+ BFloat16Rows.prefetchDistance &+ 64))
    }

    @inline(__always)
    static func single(_ groups: Int, _ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ c: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
        var s = SIMD8<Float>()
        alongK(groups) { aOffset, bOffset in s = strawberry_dot_bf16(s, group(a, aOffset), group(b, bOffset)) }
        DotTiles.put(DotTiles.total(s), c, accumulate)
    }

    @inline(__always)
    static func tile1x4(_ groups: Int, _ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ c: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        let rowStride = BFloat16Rows.rowStride
        alongK(groups) { aOffset, bOffset in
            prefetch(b, bOffset)
            let x = group(a, aOffset)
            s0 = strawberry_dot_bf16(s0, x, group(b, bOffset))
            s1 = strawberry_dot_bf16(s1, x, group(b, rowStride &+ bOffset))
            s2 = strawberry_dot_bf16(s2, x, group(b, 2 &* rowStride &+ bOffset))
            s3 = strawberry_dot_bf16(s3, x, group(b, 3 &* rowStride &+ bOffset))
        }
        DotTiles.put4(DotTiles.totals(s0, s1, s2, s3), c, accumulate)
    }

    @inline(__always)
    static func tile4x4(_ groups: Int, _ a: UnsafeRawPointer, _ aRowBytes: Int, _ b: UnsafeRawPointer, _ c: UnsafeMutablePointer<Float>,
                        _ ldc: Int, _ accumulate: Bool) {
        var s00 = SIMD8<Float>(), s01 = SIMD8<Float>(), s02 = SIMD8<Float>(), s03 = SIMD8<Float>()
        var s10 = SIMD8<Float>(), s11 = SIMD8<Float>(), s12 = SIMD8<Float>(), s13 = SIMD8<Float>()
        var s20 = SIMD8<Float>(), s21 = SIMD8<Float>(), s22 = SIMD8<Float>(), s23 = SIMD8<Float>()
        var s30 = SIMD8<Float>(), s31 = SIMD8<Float>(), s32 = SIMD8<Float>(), s33 = SIMD8<Float>()
        let rowStride = BFloat16Rows.rowStride
        alongK(groups) { aOffset, bOffset in
            prefetch(b, bOffset)
            let x0 = group(a, aOffset), x1 = group(a, aRowBytes &+ aOffset)
            let x2 = group(a, 2 &* aRowBytes &+ aOffset), x3 = group(a, 3 &* aRowBytes &+ aOffset)
            let y0 = group(b, bOffset), y1 = group(b, rowStride &+ bOffset)
            let y2 = group(b, 2 &* rowStride &+ bOffset), y3 = group(b, 3 &* rowStride &+ bOffset)
            s00 = strawberry_dot_bf16(s00, x0, y0); s01 = strawberry_dot_bf16(s01, x0, y1)
            s02 = strawberry_dot_bf16(s02, x0, y2); s03 = strawberry_dot_bf16(s03, x0, y3)
            s10 = strawberry_dot_bf16(s10, x1, y0); s11 = strawberry_dot_bf16(s11, x1, y1)
            s12 = strawberry_dot_bf16(s12, x1, y2); s13 = strawberry_dot_bf16(s13, x1, y3)
            s20 = strawberry_dot_bf16(s20, x2, y0); s21 = strawberry_dot_bf16(s21, x2, y1)
            s22 = strawberry_dot_bf16(s22, x2, y2); s23 = strawberry_dot_bf16(s23, x2, y3)
            s30 = strawberry_dot_bf16(s30, x3, y0); s31 = strawberry_dot_bf16(s31, x3, y1)
            s32 = strawberry_dot_bf16(s32, x3, y2); s33 = strawberry_dot_bf16(s33, x3, y3)
        }
        DotTiles.put4(DotTiles.totals(s00, s01, s02, s03), c, accumulate)
        DotTiles.put4(DotTiles.totals(s10, s11, s12, s13), c + ldc, accumulate)
        DotTiles.put4(DotTiles.totals(s20, s21, s22, s23), c + 2 &* ldc, accumulate)
        DotTiles.put4(DotTiles.totals(s30, s31, s32, s33), c + 3 &* ldc, accumulate)
    }
}
#endif
