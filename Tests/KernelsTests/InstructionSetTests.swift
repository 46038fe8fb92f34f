import Foundation
import Testing
import Kernels
import KernelsAVX512
import RegisterTiles

/// The register tiles compiled for AVX-512 (`KernelsAVX512`) against the same tiles compiled for
/// AVX2 (`RegisterTiles`, instantiated here), on odd shapes: the same bits, since both sum in one
/// order with fused multiply-adds. They run only where the CPU has AVX-512 (elsewhere the
/// instructions do not exist); the dispatch itself is checked everywhere, and the rest of the
/// suite runs whichever set `CPU.hasAVX512` picks (`STRAWBERRY_CPU=avx2` forces AVX2).
@Suite struct InstructionSetTests {
    static func random(_ n: Int, seed: UInt64) -> [Float] { GemmTests.random(n, seed: seed) }

    @Test func theInstructionSetFollowsTheCPUFlagsAndTheOverride() throws {
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("flags") }.map { Set($0.split(separator: " ").map(String.init)) } ?? []
        let forced = ProcessInfo.processInfo.environment["STRAWBERRY_CPU"] == "avx2"
        #expect(CPU.hasAVX512 == (flags.contains("avx512f") && flags.contains("avx512bw") && !forced))
        #expect(CPU.hasAVX512BF16 == (CPU.hasAVX512 && flags.contains("avx512_bf16")))
        let named = !CPU.hasAVX512 ? "AVX2 kernels" : CPU.hasAVX512BF16 ? "AVX-512 (with BF16) kernels" : "AVX-512 kernels"
        #expect(CPU.summary.contains(named), "\(CPU.summary)")
    }

    @Test(.enabled(if: CPU.hasAVX512, "this CPU has no AVX-512"), arguments: [(1, 5), (13, 300), (65, 513), (7, 16), (20, 37)])
    func avx512TilesGiveTheBitsOfTheAVX2Tiles(shape: (Int, Int)) {
        let (n, k) = shape
        let w = Self.random(n * k, seed: 31), start = Self.random(65 * n, seed: 32)
        let packed = w.withUnsafeBufferPointer { PackedMatrix($0.baseAddress!, n: n, k: k, ld: k) }
        for m in [1, 7, 13, 65] {
            let a = Self.random(m * k, seed: UInt64(m) + 40)
            var narrow = Array(start.prefix(m * n)), wide = narrow
            // The dot-product tiles.
            DotTiles.columns(0, n, m: m, k: k, a: a, lda: k, b: w, ldb: k, c: &narrow, ldc: n, accumulate: true, wide: false)
            AVX512Kernels.dotColumns(0, n, m: m, k: k, a: a, lda: k, b: w, ldb: k, c: &wide, ldc: n, accumulate: true)
            #expect(narrow == wide, "DotTiles m \(m) n \(n) k \(k)")
            // The same over bfloat16 weights.
            let matrix = w.withUnsafeBufferPointer { BFloat16Matrix($0.baseAddress!, n: n, k: k, ld: k) }
            var narrow16 = Array(start.prefix(m * n)), wide16 = narrow16
            DotTiles.columns(0, n, m: m, k: k, a: a, lda: k, b: matrix.base, panelBytes: matrix.panelBytes, as: BFloat16Rows.self,
                             c: &narrow16, ldc: n, accumulate: true, wide: false)
            AVX512Kernels.dotColumnsBFloat16(0, n, m: m, k: k, a: a, lda: k, b: matrix.base, panelBytes: matrix.panelBytes, c: &wide16,
                                             ldc: n, accumulate: true)
            #expect(narrow16 == wide16, "DotTiles over bfloat16 m \(m) n \(n) k \(k)")
            // The packed-weight tiles, both shapes.
            for (rows, panels) in [(8, 2), (6, 1)] {
                var narrow = Array(start.prefix(m * n)), wide = narrow
                let layout = packed.layout
                var i = 0
                while i < m {
                    let r = min(rows, m - i)
                    for jp in stride(from: 0, to: layout.panels, by: panels) {
                        let count = min(panels, layout.panels - jp)
                        PackedTile.run(rows: r, panels: count, i: i, jp: jp, a: a, lda: k, w: layout, c: &narrow, ldc: n, accumulate: false)
                        AVX512Kernels.packedTile(rows: r, panels: count, i: i, jp: jp, a: a, lda: k, w: layout, c: &wide, ldc: n,
                                                 accumulate: false)
                    }
                    i += r
                }
                #expect(narrow == wide, "PackedTile \(rows)×\(panels) m \(m) n \(n) k \(k)")
            }
            // The training GEMM's block product over packed A and B (one block of k).
            let kLen = min(k, GemmPanels.blockK), panels = (n + 15) / 16, stride = kLen * 16
            var packedA = [Float](repeating: 0, count: (m + 5) / 6 * 6 * kLen), packedB = [Float](repeating: 0, count: panels * stride)
            GemmPanels.packA(a: a, lda: k, transposed: false, i0: 0, iLen: m, k0: 0, kLen: kLen, alpha: 1, into: &packedA)
            for jp in 0..<panels {
                packedB.withUnsafeMutableBufferPointer {
                    GemmPanels.packB(b: w, ldb: k, transposed: true, k0: 0, kLen: kLen, j0: jp * 16, jLen: min(16, n - jp * 16),
                                     into: $0.baseAddress! + jp * stride)
                }
            }
            var narrowC = Array(start.prefix(m * n)), wideC = narrowC
            GemmPanels.blockProduct(kLen: kLen, packedA: packedA, rows: m, packedB: packedB, panelStride: stride, p0: 0, p1: panels,
                                    n: n, c: &narrowC, ldc: n, overwrite: false)
            AVX512Kernels.gemmBlock(kLen: kLen, packedA: packedA, rows: m, packedB: packedB, panelStride: stride, p0: 0, p1: panels,
                                    n: n, c: &wideC, ldc: n, overwrite: false)
            #expect(narrowC == wideC, "GemmPanels m \(m) n \(n) k \(k)")
        }
    }

    @Test(.enabled(if: CPU.hasAVX512, "this CPU has no AVX-512"), arguments: [(13, 16, 7), (65, 24, 300), (7, 70, 513), (20, 48, 32)])
    func avx512UnpackedTilesGiveTheBitsOfTheAVX2Tiles(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let ldb = (n + 15) / 16 * 16
        let b = Self.random(k * ldb, seed: 33)
        for transposeA in [false, true] {
            let lda = transposeA ? m : k
            let a = Self.random(m * k, seed: 34)
            var narrow = Self.random(m * n, seed: 35), wide = narrow
            UnpackedTiles.product(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb, c: &narrow, ldc: n,
                                  accumulate: true, wide: false)
            AVX512Kernels.unpackedProduct(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb, c: &wide, ldc: n,
                                          accumulate: true)
            #expect(narrow == wide, "UnpackedTiles m \(m) n \(n) k \(k) tA \(transposeA)")
        }
    }
}
